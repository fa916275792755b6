from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
ALLOWED_THIRD_PARTY = {"numpy", "onnxruntime", "av", "cv2", "tqdm", "onnx"}  # onnx: optional, GPU fp16 only


def test_engine_imports_only_allowed_packages_and_relative_engine_imports() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [(node.module or "").split(".")[0]]
            else:
                continue
            for m in mods:
                assert m != "engine", f"{path.name}: absolute import of engine (use relative imports)"
                assert m in stdlib or m in ALLOWED_THIRD_PARTY or m == "__future__", f"{path.name} imports {m}"


def test_engine_works_under_another_package_name(tmp_path: Path) -> None:
    """Inside Blender the package is bl_ext.<repo>.toonflow.engine: nothing may assume the name 'engine'."""
    pkg = tmp_path / "bl_ext" / "user_default" / "toonflow"
    pkg.mkdir(parents=True)
    for d in (tmp_path / "bl_ext", tmp_path / "bl_ext" / "user_default", pkg):
        (d / "__init__.py").write_text("")
    shutil.copytree(ENGINE, pkg / "engine", ignore=shutil.ignore_patterns("__pycache__", "*.onnx"))
    code = (
        "import sys\n"
        "from bl_ext.user_default.toonflow import engine\n"
        "import numpy as np\n"
        "assert 'engine' not in sys.modules, 'top-level engine imported'\n"
        "assert 'torch' not in sys.modules and 'bpy' not in sys.modules\n"
        "print(engine.Cartoonizer.__module__, engine.find_models.__module__)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["bl_ext.user_default.toonflow.engine.cartoonize",
                                "bl_ext.user_default.toonflow.engine.models"]
