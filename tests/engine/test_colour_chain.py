"""The colour chain's reference rule (engine/colour_chain.py), which the Colorizer and the Blender extension share."""

from __future__ import annotations

import pytest

from engine.colour_chain import chain_start, nearest_keyframe, references


def test_nearest_keyframe_prefers_the_earlier_on_a_tie() -> None:
    assert nearest_keyframe(5, [0, 10]) == 0 and nearest_keyframe(6, [0, 10]) == 10 and nearest_keyframe(3, [7]) == 7
    assert nearest_keyframe(4, (k for k in (10, 0))) == 0
    with pytest.raises(ValueError, match="no keyframe"):
        nearest_keyframe(3, [])


def test_references() -> None:
    assert references(4, [0, 10], 3) == (0, 3)
    assert references(1, [0, 10], 0) == (0, None)  # the previous frame is the keyframe itself
    assert references(0, [5], None) == (5, None)  # chain start / cut / not temporal
    assert references(7, [0, 10], 5) == (10, 5)  # a held drawing: the last coloured frame, not 6


def test_chain_start() -> None:
    assert chain_start(7, [0, 5, 10]) == 5 and chain_start(5, [0, 5, 10]) == 5
    assert chain_start(3, [5]) == 0 and chain_start(0, []) == 0
