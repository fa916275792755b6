# SPDX-License-Identifier: GPL-3.0-or-later
"""Suggestions for the Model fields of the nodes and strips: the installed models of one task (no bpy).

Blender's string search (``StringProperty(search=...)``) shows these under the field and filters them by what the
user types; the field stays free text, so a ``.onnx`` path can still be entered. Blender draws a suggestion's
description only when its Debug Value is 102. The folders are scanned when the search opens (models may be added
while Blender runs), never at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["DESCRIPTION_CHARS", "model_choices"]

log = logging.getLogger(__name__)

#: longest description shown beside a name (Blender draws it on the same line of the search list)
DESCRIPTION_CHARS = 100


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_CHARS else text[:DESCRIPTION_CHARS - 3].rstrip() + "..."


def model_choices(model_dirs: Sequence[str], task: str, engine_models: Callable[[], ModuleType]
                  ) -> list[tuple[str, str]]:
    """``(name, description)`` of each installed ``task`` model, the task's default model first.

    Args:
        model_dirs: the preferences' model folder(s), searched before ``TOONFLOW_MODEL_PATH`` and the bundled weights.
        task: ``"cartoonize"`` or ``"colorize"``.
        engine_models: returns the engine's ``models`` module (imported lazily; inside Blender it is the extension's
            own sibling package).

    The default model's description starts with ``"default: "``. Cards that do not parse are left out by
    ``find_models`` with a logged warning. Never raises: anything else that goes wrong gives no suggestions and a
    logged warning, since an exception in a search callback would reach Blender's UI on every keystroke.
    """
    try:
        models = engine_models()
        cards = list(models.find_models(model_dirs, task=task))
        default = str(models.DEFAULT_MODELS.get(task, ""))
    except Exception as exc:  # noqa: BLE001 - see the docstring: the search field must keep working
        log.warning("Toonflow: cannot list the installed %s models (model folders: %s): %s",
                    task, ", ".join(model_dirs) or "none", exc)
        return []
    cards.sort(key=lambda card: card.name != default)  # stable: the rest keep the search order
    return [(card.name, _shorten(("default: " if card.name == default else "") + (card.description or card.task)))
            for card in cards]
