"""The train/test split rule both data builds share: a seeded hash of a group key, so a split is deterministic and
does not move when other files are added (the benchmark's held-out data must stay held out)."""
from __future__ import annotations

import hashlib

__all__ = ["SPLITS", "split_of"]

SPLITS = ("train", "test")


def split_of(key: str, seed: int, test_fraction: float) -> str:
    """Deterministic split for a group key: "test" for about ``test_fraction`` of keys, else "train"."""
    digest = hashlib.sha1(f"{seed}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    return "test" if u < test_fraction else "train"
