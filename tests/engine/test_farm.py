"""Farm jobs on a real Dask cluster: a scheduler and two workers started as processes on 127.0.0.1 (no mocks).

A worker is killed while it holds a chunk, a client is interrupted mid-job, a frame is unreadable: the output is
still that of a single-machine run (within one level, the stabiliser's chunk-boundary bound), finished chunks are
reused, and a bad frame fails the job naming it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Cartoonizer, cartoonize_file, colorize_file
from engine.errors import InputError, SettingsError, ToonflowError
from engine.farm import CartoonizeSettings, ColorizeSettings, FarmJob, plan_chunks, run_farm
from engine.farm.interrupt import deferred_interrupt
from engine.farm.run import work_folder
from engine.frame_range import FrameRange
from engine.models import WEIGHTS_DIR

from .colorize_fixtures import clip, write_frames
from .helpers import pattern

distributed = pytest.importorskip("distributed")
needs_cel_lite = pytest.mark.skipif(not (WEIGHTS_DIR / "cel_lite.onnx").is_file(),
                                    reason="cel_lite is not in this checkout")
DASK = Path(sys.executable).parent / "dask"
SETTINGS = CartoonizeSettings(model="cel_lite", device="cpu", temporal=True)


def _frames(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: cv2.imread(str(p)) for p in sorted(folder.glob("*.png"))}


def _max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> int:
    assert sorted(a) == sorted(b)
    return max(int(np.abs(a[n].astype(np.int16) - b[n].astype(np.int16)).max()) for n in a)


def _wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# ------------------------------------------------------------------------------------------------ chunk plans

def test_cartoonize_chunks_are_equal_ranges() -> None:
    assert plan_chunks(10, 4) == [FrameRange(0, 3), FrameRange(4, 7), FrameRange(8, 9)]
    assert plan_chunks(3, 48) == [FrameRange(0, 2)]


def test_colorize_chunks_start_at_keyframes() -> None:
    # keyframes 0, 24, 48, 72 of 100 frames, chunks of at least 40: boundaries at 48 only
    assert plan_chunks(100, 40, [0, 24, 48, 72]) == [FrameRange(0, 47), FrameRange(48, 99)]
    assert plan_chunks(100, 10, [5, 50]) == [FrameRange(0, 49), FrameRange(50, 99)]  # 0-4 is short: joined
    assert plan_chunks(100, 5, [5, 50]) == [FrameRange(0, 4), FrameRange(5, 49), FrameRange(50, 99)]
    assert plan_chunks(30, 10, [0]) == [FrameRange(0, 29)]  # one chain: splitting it would only repeat work


@pytest.mark.parametrize("frames, size", [(10, 0), (0, 5)])
def test_bad_chunk_plans(frames: int, size: int) -> None:
    with pytest.raises(SettingsError):
        plan_chunks(frames, size)


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own SIGINT handler, as in a terminal (a test run started in the background inherits SIG_IGN)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_first_ctrl_c_only_flags_the_job_and_a_second_one_raises(python_sigint: None) -> None:
    with deferred_interrupt() as interrupted:
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupted.wait(5)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_is_left_alone_where_it_is_ignored_or_cannot_arrive(python_sigint: None) -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background shell job
    try:
        with deferred_interrupt() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert not interrupted.is_set()
    finally:
        signal.signal(signal.SIGINT, previous)
    handlers: list[object] = []

    def in_a_thread() -> None:  # signals reach only the main thread: nothing to install there
        with deferred_interrupt():
            handlers.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(10)
    assert handlers == [signal.default_int_handler]


# ------------------------------------------------------------------------------------------------ cluster

@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """``dask scheduler`` and two single-threaded ``dask worker`` processes (no nanny: a killed worker stays dead)."""
    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=(root / "scheduler.log").open("w"))]
    try:
        _wait_for(scheduler_file.is_file, "the scheduler file")
        for k in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{k}"], cwd=root, env=env,
                stdout=subprocess.DEVNULL, stderr=(root / f"worker{k}.log").open("w")))
        client = distributed.Client(scheduler_file=str(scheduler_file), timeout=60)
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)  # worker address -> pid
        yield {"address": client.scheduler.address, "client": client, "pids": pids, "root": root}
        client.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 frames, 320x240, a square moving over gradients (PNG files)."""
    folder = tmp_path_factory.mktemp("clip")
    for i in range(24):
        cv2.imwrite(str(folder / f"img_{i:03d}.png"), cv2.cvtColor(pattern(i, 240, 320), cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(scope="module")
def single_machine(clip_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    out = tmp_path_factory.mktemp("single") / "out"
    cartoonize_file(clip_folder, out, cartoonizer=Cartoonizer("cel_lite", device="cpu", temporal=True))
    return _frames(out)


@needs_cel_lite
def test_worker_killed_mid_chunk(cluster: dict, clip_folder: Path, single_machine: dict, tmp_path: Path) -> None:
    client, pids = cluster["client"], cluster["pids"]
    job = FarmJob(input=clip_folder, settings=SETTINGS)
    out = tmp_path / "out"
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = run_farm(job, out, scheduler=str(cluster["address"]), chunk_size=4)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    chunks_dir = work_folder(out) / "chunks"
    victim = sorted(pids)[0]
    held: list[str] = []

    def victim_mid_chunk() -> bool:  # the victim runs a chunk and has begun writing its frames
        held[:] = client.processing().get(victim, [])
        return bool(held) and any(p.name.startswith(".toonflow-tmp-") for p in chunks_dir.glob("*"))

    _wait_for(victim_mid_chunk, "the victim worker to be inside a chunk")
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(180)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    survivor_pid = pids[sorted(pids)[1]]
    first = int(held[0].rpartition("-")[2])
    redone = [r for r in result.reports if r.frame_range.first == first]
    assert redone and redone[0].worker.endswith(f":{survivor_pid}"), (held, result.reports)
    assert result.frames == 24 and len(result.chunks) == 6
    assert _max_difference(_frames(out), single_machine) <= 1
    assert not work_folder(out).exists()  # chunks removed once the output is complete


@needs_cel_lite
def test_interrupted_job_reuses_finished_chunks(cluster: dict, clip_folder: Path, single_machine: dict,
                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    chunks_dir = work_folder(out) / "chunks"
    cmd = [sys.executable, "-m", "engine", "farm", "cartoonize", str(clip_folder), "-o", str(out), "--model",
           "cel_lite", "--device", "cpu", "--temporal", "--scheduler", str(cluster["address"]), "--chunk", "1"]
    # a shell runs background jobs with SIGINT ignored, and Python then never turns it into KeyboardInterrupt:
    # give the client the default disposition, as a terminal would
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def finished_chunks() -> list[Path]:
        return [p for p in chunks_dir.glob("*") if p.is_dir() and not p.name.startswith(".")]

    # 24 one-frame chunks (each with its warm-up): most are still to run when two have finished
    _wait_for(lambda: len(finished_chunks()) >= 2, "two finished chunks")
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # the fault handler prints where every thread hangs
        _, err = proc.communicate()
        raise AssertionError(f"the interrupted client did not stop within 60 s:\n{err}") from None
    assert proc.returncode == 130, err
    assert not out.exists(), "an interrupted job left output under the final name"
    kept = len(finished_chunks())
    # the cluster is still busy with the cancelled chunks for a moment; the rerun shares it
    job = FarmJob(input=clip_folder, settings=SETTINGS)
    result = run_farm(job, out, scheduler=str(cluster["address"]), chunk_size=1)
    assert len(result.reused) >= kept >= 2
    assert len(result.reports) == 24 - len(result.reused)
    assert _max_difference(_frames(out), single_machine) <= 1


@pytest.mark.parametrize("two_sided", [False, True])
def test_colorize_farm_equals_a_single_run(cluster: dict, tmp_path: Path, colorize_model: Path,
                                           two_sided: bool) -> None:
    lines, colours = clip(20, 48, 64)
    lineart = write_frames(tmp_path / "lines", lines)
    for k in (0, 8, 14):
        cv2.imwrite(str(tmp_path / f"key{k}.png"), cv2.cvtColor(colours[k], cv2.COLOR_RGB2BGR))
    keys = {k: tmp_path / f"key{k}.png" for k in (0, 8, 14)}
    colorize_file(lineart, tmp_path / "single", keys, model=colorize_model.stem,
                  extra_model_dirs=[colorize_model.parent], device="cpu", two_sided=two_sided)
    settings = ColorizeSettings(keyframes=tuple((k, str(p)) for k, p in keys.items()), model=colorize_model.stem,
                                device="cpu", two_sided=two_sided)
    job = FarmJob(input=lineart, settings=settings, model_dirs=(str(colorize_model.parent),))
    result = run_farm(job, tmp_path / "farm", scheduler=str(cluster["address"]), chunk_size=5)
    assert result.chunks == (FrameRange(0, 7), FrameRange(8, 13), FrameRange(14, 19))
    assert _max_difference(_frames(tmp_path / "farm"), _frames(tmp_path / "single")) == 0


@needs_cel_lite
def test_bad_frame_fails_the_job_naming_it(cluster: dict, clip_folder: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(clip_folder, broken)
    (broken / "img_017.png").write_bytes(b"not a png")
    out = tmp_path / "out.mp4"
    with pytest.raises(InputError, match=r"img_017\.png.*frame 17"):
        run_farm(FarmJob(input=broken, settings=SETTINGS), out, scheduler=str(cluster["address"]), chunk_size=4)
    assert not out.exists()
    assert work_folder(out).is_dir()  # finished chunks stay for a rerun


def test_unreachable_scheduler_is_one_clear_error(clip_folder: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.farm.cluster.CONNECT_TIMEOUT", 2)  # Dask retries a closed port until then
    job = FarmJob(input=clip_folder, settings=SETTINGS)
    with pytest.raises(ToonflowError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_farm(job, tmp_path / "out", scheduler="tcp://127.0.0.1:9", chunk_size=4)
