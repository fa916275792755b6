"""Toonflow inference engine: ONNX models, frames in, cartoon frames out (numpy + onnxruntime + PyAV + OpenCV).

Public API::

    from engine import Cartoonizer, cartoonize_file, open_frames, find_models, resolve_model
    from engine import Colorizer, Reference, colorize_file, FrameSequence

No torch and no bpy here. Internal imports are relative so the package also works inside Blender as
``bl_ext.<repo>.toonflow.engine``.
"""

from __future__ import annotations

from .cartoonize import Cartoonizer
from .colorize import Colorizer, Reference
from .errors import InputError, ModelError, OutputError, SettingsError, ToonflowError
from .media_input import VideoInfo, open_frames
from .media_output import open_writer
from .models import ModelCard, find_models, resolve_model
from .pipeline import CartoonizeResult, ColorizeResult, cartoonize_file, colorize_file
from .sequence import FrameSequence
from .temporal import TemporalStabilizer

__version__ = "0.1.0"

__all__ = [
    "Cartoonizer",
    "CartoonizeResult",
    "cartoonize_file",
    "Colorizer",
    "Reference",
    "ColorizeResult",
    "colorize_file",
    "FrameSequence",
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
