"""Model cards quote a manifest's sources without their per-file lists."""
from __future__ import annotations

import json
from pathlib import Path

from training.manifest_summary import card_sources


def test_card_sources_keep_provenance_and_drop_file_lists(tmp_path: Path) -> None:
    source = {"name": "skimage", "package": {"name": "scikit-image", "licence": "BSD-3-Clause"},
              "counts": {"train": 5, "test": 1}, "files": {"photos/train/a.png": "skimage.data.astronaut"}}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sources": [source]}))
    (summary,) = card_sources(manifest)
    assert "files" not in summary
    assert summary["package"]["licence"] == "BSD-3-Clause" and summary["counts"] == {"train": 5, "test": 1}
    assert card_sources(tmp_path / "missing.json") == [] and card_sources(None) == []
