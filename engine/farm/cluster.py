"""Connecting to a Dask cluster: a running scheduler (``tcp://HOST:8786``) or a LocalCluster on this machine."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import SettingsError, ToonflowError
from ..runtime import THREADS_ENV

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["LOCAL", "connect"]

log = logging.getLogger(__name__)

#: the ``--scheduler`` value that starts a cluster on this machine
LOCAL = "local"
#: seconds to wait for a remote scheduler before giving up
CONNECT_TIMEOUT = 30


def _distributed():  # noqa: ANN202 - the distributed module
    try:
        import distributed  # noqa: PLC0415 - an optional dependency, only farm runs need it
    except ImportError as exc:
        raise SettingsError("toonflow farm needs Dask: pip install 'toonflow[farm]' (dask and distributed) on "
                            "this machine and on every worker") from exc
    return distributed


@contextmanager
def connect(scheduler: str, workers: int | None = None) -> Iterator[Client]:
    """A client of ``scheduler``: ``"local"`` starts ``workers`` single-threaded worker processes here (default:
    one per CPU) and stops them afterwards; anything else is a scheduler address.

    Raises:
        SettingsError: Dask missing, or ``workers`` given for a remote scheduler (its workers are started there).
        ToonflowError: the scheduler cannot be reached.
    """
    distributed = _distributed()
    if not log.isEnabledFor(logging.DEBUG):  # the scheduler's and workers' chatter only with -vv
        for name in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if scheduler == LOCAL:
        cores = os.cpu_count() or 1
        n = workers or cores
        # the workers share this machine's cores: each model session gets its share, unless the user chose
        threads = os.environ.get(THREADS_ENV) or str(max(1, cores // n))
        log.info("starting a local Dask cluster with %d worker processes (%s inference threads each)", n, threads)
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                      env={THREADS_ENV: threads}) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    if workers is not None:
        raise SettingsError("--workers is for --scheduler local; a cluster's workers are started with "
                            "'dask worker SCHEDULER' on its machines")
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ToonflowError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start it with "
                            "'dask scheduler' and check the address") from exc
    with client:
        yield client
