# SPDX-License-Identifier: GPL-3.0-or-later
"""Cache keys (no bpy): a cached frame is identified by (source, frame, settings, model hash).

A *clip key* hashes everything but the frame: the source's identity, the processing settings and the model's hash.
Each frame file in the clip's folder is then named by its frame number plus a short signature of that frame's own
source file (for image sequences and pre-rendered frames, where one frame file can change without the others).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["ProcessSettings", "file_identity", "clip_key", "frame_signature", "short_hash"]

KEY_VERSION = 1


@dataclass(frozen=True)
class ProcessSettings:
    """Settings that change a cartoon frame's pixels (all of them are part of the cache key)."""

    task: str = "cartoonize"
    model: str = ""  # name or path; "" = the engine's default model
    strength: float = 1.0
    temporal: bool = False
    temporal_strength: float = 0.6
    tile_size: int = 1024
    two_sided: bool = False  # colorize: frames between two keyframes coloured from both (engine.Colorizer)

    def as_key_dict(self) -> dict[str, object]:
        d = asdict(self)
        if not self.two_sided:
            del d["two_sided"]  # the keys of caches made before the option existed stay valid
        d["strength"] = round(float(self.strength), 4)
        d["temporal_strength"] = round(float(self.temporal_strength), 4) if self.temporal else 0.0
        return d


def short_hash(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def file_identity(path: str | os.PathLike[str]) -> str:
    """Identity of a source file: absolute path, size and modification time (cheap; no content hashing).

    A missing file gives an identity that says so (callers report missing sources before processing).
    """
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except OSError:
        return f"{p.resolve(strict=False)}|missing"
    return f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def clip_key(source_identity: str, settings: ProcessSettings, model_hash: str) -> str:
    """Key of a clip's cache folder: source identity + settings + model hash (hex, 24 characters)."""
    payload = json.dumps(
        {"v": KEY_VERSION, "source": source_identity, "settings": settings.as_key_dict(), "model": model_hash},
        sort_keys=True,
    )
    return short_hash(payload, 24)


def frame_signature(frame_source_identity: str) -> str:
    """Short signature of one frame's own source (8 hex characters)."""
    return short_hash(frame_source_identity, 8)
