from __future__ import annotations

from pathlib import Path

import pytest

from engine.runtime import clear_session_cache

from .helpers import make_video, write_model


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user model folders leak in; no cached sessions leak between tests."""
    monkeypatch.delenv("TOONFLOW_MODEL_PATH", raising=False)
    clear_session_cache()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    write_model(d, "tiny")
    write_model(d, "tiny_gf", seed=1, postprocess={"guided_filter": {"radius": 1, "eps": 0.005}})
    write_model(d, "tiny_notile", seed=2, supports_tiling=False)
    return d


@pytest.fixture(scope="session")
def tiny_model(model_dir: Path) -> Path:
    return model_dir / "tiny.onnx"


@pytest.fixture(scope="session")
def video_with_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("videos") / "clip.mp4"
    make_video(p, n=12, size=(64, 48), audio="aac")
    return p


@pytest.fixture(scope="session")
def colorize_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed-weight reference-mix colorize model (tests/engine/colorize_fixtures.py; not trained)."""
    from .colorize_fixtures import write_colorize_model

    return write_colorize_model(tmp_path_factory.mktemp("colorize_models"))
