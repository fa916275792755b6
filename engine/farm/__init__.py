"""Scale-out: a job split into frame-range chunks that run on a Dask cluster and are assembled into one output.

Public API::

    from engine.farm import CartoonizeSettings, ColorizeSettings, FarmJob, run_farm

Needs ``dask`` and ``distributed`` (``pip install 'toonflow[farm]'``); the rest of the engine does not. See
docs/FARM.md.
"""

from __future__ import annotations

from .chunks import plan_chunks
from .job import CartoonizeSettings, ColorizeSettings, FarmJob
from .run import FarmResult, run_farm

__all__ = ["CartoonizeSettings", "ColorizeSettings", "FarmJob", "FarmResult", "plan_chunks", "run_farm"]
