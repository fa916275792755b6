#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the installable Toonflow extension zip with Blender's own extension tool.

Steps: stage the shipped files (``__init__.py``, ``blender_addon/``, ``engine/`` with its weights) into
``build/extension/stage``, download the platform wheels the engine needs (``pip download --only-binary=:all:``),
write ``wheels`` and ``platforms`` into the staged manifest, then run
``python <bpy>/scripts/addons_core/bl_pkg/cli/blender_ext.py build`` (validates the manifest and zips).

Examples::

    python scripts/build_extension.py                      # this platform, GPU build of onnxruntime where available
    python scripts/build_extension.py --platform all       # one zip per platform (--split-platforms)
    python scripts/build_extension.py --no-wheels          # no wheels (tests: the bpy venv has the packages)
    python scripts/build_extension.py --cpu-only           # onnxruntime (CPU) instead of onnxruntime-gpu
"""

from __future__ import annotations

import argparse
import glob
import os
import platform as _platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("__init__.py", "blender_addon", "engine")
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".mk", ".tmp")

# Blender platform -> pip --platform tags (the first that has a wheel wins; pip accepts several).
PLATFORM_TAGS: dict[str, list[str]] = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"],
    "macos-x64": ["macosx_13_0_x86_64", "macosx_12_0_x86_64", "macosx_11_0_x86_64", "macosx_10_15_x86_64"],
}
# onnxruntime-gpu (CUDA 13 + cuDNN 9 provider; falls back to the CPU) exists for Linux and Windows x64 only.
GPU_PLATFORMS = {"linux-x64", "windows-x64"}
COMMON = ["av==18.1.0", "opencv-contrib-python-headless==4.11.0.86", "tqdm==4.70.1"]
ORT_VERSION = "1.31.1"


def host_platform() -> str:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}[sys.platform]
    machine = _platform.machine().lower()
    arch = "arm64" if machine in {"arm64", "aarch64"} else "x64"
    return f"{system}-{arch}"


def find_blender_ext(explicit: str | None) -> Path:
    candidates = [explicit] if explicit else []
    candidates.append(os.environ.get("BLENDER_EXT", ""))
    for venv in (".venv-bpy50", ".venv-bpy45"):
        candidates += sorted(glob.glob(str(ROOT / venv / "lib" / "python3*" / "site-packages" / "bpy" / "*" /
                                           "scripts" / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py")))
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise SystemExit("blender_ext.py not found: create a bpy venv (make setup-blender) or pass --blender-ext "
                     "<blender>/<ver>/scripts/addons_core/bl_pkg/cli/blender_ext.py (or set BLENDER_EXT)")


def stage(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in SHIPPED:
        src = ROOT / name
        if src.is_file():
            shutil.copy2(src, dest / name)
            continue
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
            rel = Path(dirpath).relative_to(ROOT)
            (dest / rel).mkdir(parents=True, exist_ok=True)
            for f in filenames:
                if f.startswith(".") or f.endswith(SKIP_SUFFIXES):
                    continue
                shutil.copy2(Path(dirpath) / f, dest / rel / f)


def download_wheels(platform: str, cpu_only: bool, cache: Path) -> list[Path]:
    ort = "onnxruntime" if cpu_only or platform not in GPU_PLATFORMS else "onnxruntime-gpu"
    target = cache / platform
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", "--no-deps", "-d", str(target)]
    for tag in PLATFORM_TAGS[platform]:
        cmd += ["--platform", tag]
    cmd += [f"{ort}=={ORT_VERSION}", *COMMON]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    wanted = {ort.replace("-", "_"), "av", "opencv_contrib_python_headless", "tqdm"}
    return sorted(p for p in target.glob("*.whl") if p.name.split("-")[0].lower() in wanted)


def write_manifest(stage_dir: Path, wheels: list[str], platforms: list[str]) -> None:
    text = (ROOT / "blender_manifest.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first_table = next(i for i, line in enumerate(lines) if line.startswith("["))
    generated = []
    if platforms:
        generated.append("platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]")
    if wheels:
        generated.append("wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in wheels) + "]")
    lines[first_table:first_table] = generated + [""]
    (stage_dir / "blender_manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--platform", default="host",
                    help="host (default), all, or a comma list of: " + ", ".join(PLATFORM_TAGS))
    ap.add_argument("--no-wheels", action="store_true", help="build without wheels (packages from the environment)")
    ap.add_argument("--cpu-only", action="store_true", help="bundle onnxruntime (CPU) instead of onnxruntime-gpu")
    ap.add_argument("--output-dir", default=str(ROOT / "dist"))
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "extension"))
    ap.add_argument("--blender-ext", default=None, help="path to Blender's blender_ext.py")
    ap.add_argument("--python", default=sys.executable, help="Python 3.11 that runs blender_ext.py")
    args = ap.parse_args(argv)

    platforms = list(PLATFORM_TAGS) if args.platform == "all" else \
        [host_platform()] if args.platform == "host" else [p.strip() for p in args.platform.split(",")]
    unknown = [p for p in platforms if p not in PLATFORM_TAGS]
    if unknown:
        raise SystemExit(f"unknown platform(s): {', '.join(unknown)}")
    build = Path(args.build_dir)
    stage_dir = build / "stage"
    stage(stage_dir)
    wheel_names: list[str] = []
    if not args.no_wheels:
        (stage_dir / "wheels").mkdir()
        for plat in platforms:
            for whl in download_wheels(plat, args.cpu_only, build.parent / "wheels"):
                if whl.name not in wheel_names:
                    shutil.copy2(whl, stage_dir / "wheels" / whl.name)
                    wheel_names.append(whl.name)
    write_manifest(stage_dir, wheel_names, [] if args.no_wheels else platforms)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tool = find_blender_ext(args.blender_ext)
    cmd = [args.python, str(tool), "build", "--source-dir", str(stage_dir), "--output-dir", str(out)]
    if not args.no_wheels and len(platforms) > 1:
        cmd.append("--split-platforms")
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    subprocess.run([args.python, str(tool), "validate", str(stage_dir)], check=True)
    for z in sorted(out.glob("toonflow-*.zip")):
        print(f"built {z} ({z.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
