"""Model cards quote a manifest's sources without their per-file lists, and say which data build they were scored on."""
from __future__ import annotations

import json
from pathlib import Path

from training.manifest_summary import build_provenance, card_sources


def test_card_sources_keep_provenance_and_drop_file_lists(tmp_path: Path) -> None:
    source = {"name": "skimage", "package": {"name": "scikit-image", "licence": "BSD-3-Clause"},
              "counts": {"train": 5, "test": 1}, "files": {"photos/train/a.png": "skimage.data.astronaut"}}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sources": [source]}))
    (summary,) = card_sources(manifest)
    assert "files" not in summary
    assert summary["package"]["licence"] == "BSD-3-Clause" and summary["counts"] == {"train": 5, "test": 1}
    assert card_sources(tmp_path / "missing.json") == [] and card_sources(None) == []


def test_build_provenance_says_whether_a_local_build_is_the_committed_one(tmp_path: Path) -> None:
    build, committed = tmp_path / "data", tmp_path / "committed.json"
    build.mkdir()
    assert build_provenance(build, committed) is None  # no manifest in the folder: nothing to compare
    (build / "manifest.json").write_text('{"sources": []}')
    committed.write_text('{"sources": []}')
    same = build_provenance(build, committed)
    assert same["same_as_manifest"] is True and same["folder"] == str(build) and len(same["manifest_sha256"]) == 64
    committed.write_text('{"sources": [{"name": "skimage", "counts": {"train": 5}}]}')
    assert build_provenance(build, committed)["same_as_manifest"] is False
    assert build_provenance(build, tmp_path / "missing.json")["same_as_manifest"] is None


def test_build_provenance_ignores_when_and_how_fast_a_build_ran(tmp_path: Path) -> None:
    """A rebuild of the same data differs from the committed manifest only in its build records, at any depth."""
    build, committed = tmp_path / "data", tmp_path / "committed.json"
    build.mkdir()
    source = {"name": "skimage", "counts": {"train": 5}}
    committed.write_text(json.dumps({"created_utc": "2026-11-21T08:17:39+00:00", "build_seconds": 77.5,
                                     "restyled_utc": "2026-11-21T09:00:00+00:00",
                                     "sources": [{**source, "build_seconds": 255.0}]}))
    (build / "manifest.json").write_text(json.dumps({"created_utc": "2026-11-22T07:04:20+00:00", "build_seconds": 820.8,
                                                     "sources": [{**source, "build_seconds": 71.8}]}))
    assert build_provenance(build, committed)["same_as_manifest"] is True
    (build / "manifest.json").write_text(json.dumps({"sources": [{**source, "counts": {"train": 6}}]}))
    assert build_provenance(build, committed)["same_as_manifest"] is False


def test_card_sources_keep_only_the_kinds_a_model_was_trained_on(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sources": [{"name": "skimage", "kind": "photos"},
                                                {"name": "videos", "kind": "videos"},
                                                {"name": "openclipart", "kind": "cartoons"}]}))
    names = [source["name"] for source in card_sources(manifest, frozenset({"photos", "videos"}))]
    assert names == ["skimage", "videos"]
    assert len(card_sources(manifest)) == 3
