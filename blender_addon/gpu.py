# SPDX-License-Identifier: GPL-3.0-or-later
"""GPU diagnostics (no bpy): can ONNX Runtime's CUDA provider run here, and if not, exactly what is missing.

The extension bundles ``onnxruntime-gpu`` on Linux and Windows x64. That wheel contains the CUDA provider but not the
NVIDIA runtime libraries: those come with the NVIDIA driver (libcuda) and the CUDA 13 + cuDNN 9 runtime. When any is
missing, ONNX Runtime runs on the CPU; this module names the missing files so the user knows what to install.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from dataclasses import dataclass, field

__all__ = ["GpuReport", "gpu_report", "REQUIRED_LIBRARIES", "DRIVER_LIBRARIES"]

DRIVER_LIBRARIES = frozenset({"libcuda.so.1", "nvcuda.dll"})

log = logging.getLogger(__name__)

# (library file, what provides it); checked by loading each one the way ONNX Runtime's CUDA provider does.
if sys.platform == "win32":
    REQUIRED_LIBRARIES: tuple[tuple[str, str], ...] = (
        ("nvcuda.dll", "the NVIDIA display driver (580 or newer)"),
        ("cudart64_13.dll", "CUDA 13 runtime (CUDA Toolkit 13.x, or the cuda-runtime redistributable)"),
        ("cublas64_13.dll", "cuBLAS from CUDA 13"),
        ("cublasLt64_13.dll", "cuBLASLt from CUDA 13"),
        ("curand64_10.dll", "cuRAND from CUDA 13"),
        ("cufft64_12.dll", "cuFFT from CUDA 13"),
        ("cudnn64_9.dll", "cuDNN 9 for CUDA 13"),
    )
else:
    REQUIRED_LIBRARIES = (
        ("libcuda.so.1", "the NVIDIA driver (580 or newer)"),
        ("libcudart.so.13", "CUDA 13 runtime (CUDA Toolkit 13.x, or apt package cuda-cudart-13-0)"),
        ("libcublas.so.13", "cuBLAS from CUDA 13 (apt package libcublas-13-0)"),
        ("libcublasLt.so.13", "cuBLASLt from CUDA 13 (apt package libcublas-13-0)"),
        ("libcurand.so.10", "cuRAND from CUDA 13 (apt package libcurand-13-0)"),
        ("libcufft.so.12", "cuFFT from CUDA 13 (apt package libcufft-13-0)"),
        ("libcudnn.so.9", "cuDNN 9 for CUDA 13 (apt package libcudnn9-cuda-13)"),
    )


@dataclass
class GpuReport:
    providers: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    onnxruntime_error: str = ""

    @property
    def has_cuda_provider(self) -> bool:
        return "CUDAExecutionProvider" in self.providers or "TensorrtExecutionProvider" in self.providers

    @property
    def usable(self) -> bool:
        return self.has_cuda_provider and not self.missing

    def message(self) -> str:
        """One paragraph for the preferences, the report area and stderr."""
        if self.onnxruntime_error:
            return f"ONNX Runtime could not be imported ({self.onnxruntime_error}); reinstall the extension"
        if not self.has_cuda_provider:
            return ("this ONNX Runtime build has no CUDA provider (providers: " + ", ".join(self.providers) +
                    "); install the extension package built for your platform with GPU support, running on the CPU")
        if self.missing:
            items = "; ".join(f"{lib} ({what})" for lib, what in self.missing)
            return f"GPU not usable, running on the CPU. Missing NVIDIA libraries: {items}"
        return "GPU ready: ONNX Runtime CUDA provider and NVIDIA libraries found"


def _can_load(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def gpu_report() -> GpuReport:
    """Check the ONNX Runtime providers and the NVIDIA libraries (cheap; safe to call from the UI)."""
    report = GpuReport()
    try:
        import onnxruntime as ort
    except ImportError as exc:
        report.onnxruntime_error = str(exc)
        return report
    report.providers = list(ort.get_available_providers())
    if not report.has_cuda_provider:
        return report
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()  # loads CUDA/cuDNN from NVIDIA pip packages when present; harmless otherwise
        except (OSError, RuntimeError) as exc:
            log.debug("onnxruntime.preload_dlls: %s", exc)
    report.missing = [(lib, what) for lib, what in REQUIRED_LIBRARIES if not _can_load(lib)]
    return report
