"""Toonflow inference engine: ONNX models, frames in, cartoon frames out (numpy + onnxruntime + PyAV + OpenCV).

Public API::

    from engine import Cartoonizer, cartoonize_file, open_frames, find_models, resolve_model

No torch and no bpy here. Internal imports are relative so the package also works inside Blender as
``bl_ext.<repo>.toonflow.engine``.
"""

from __future__ import annotations

from .cartoonize import Cartoonizer
from .errors import InputError, ModelError, OutputError, SettingsError, ToonflowError
from .models import ModelCard, find_models, resolve_model
from .pipeline import CartoonizeResult, cartoonize_file
from .temporal import TemporalStabilizer
from .video import VideoInfo, open_frames, open_writer

__version__ = "0.1.0"

__all__ = [
    "Cartoonizer",
    "CartoonizeResult",
    "cartoonize_file",
    "TemporalStabilizer",
    "ModelCard",
    "find_models",
    "resolve_model",
    "VideoInfo",
    "open_frames",
    "open_writer",
    "ToonflowError",
    "InputError",
    "ModelError",
    "OutputError",
    "SettingsError",
]
