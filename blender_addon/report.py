# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages for the user: stderr in background mode, the report area (via a timer + operator) with a UI."""

from __future__ import annotations

import logging
import sys

import bpy

__all__ = ["user_message", "echo_to_stderr", "flush_pending", "pending"]

log = logging.getLogger(__name__)
pending: list[tuple[str, str]] = []


def echo_to_stderr(text: str, level: str) -> None:
    """Background mode has no report area: messages for the user go to stderr as ``Toonflow <level>: <text>``."""
    print(f"Toonflow {level.lower()}: {text}", file=sys.stderr, flush=True)


def user_message(text: str, level: str = "WARNING") -> None:
    """Tell the user ``text`` (without a "Toonflow" prefix: it is added here, once).

    Safe to call from handlers (even on the render thread).
    """
    if bpy.app.background:
        echo_to_stderr(text, level)
        return
    log.log(logging.ERROR if level == "ERROR" else logging.WARNING, "%s", text)
    pending.append((level, f"Toonflow: {text}"))
    if not bpy.app.timers.is_registered(flush_pending):
        bpy.app.timers.register(flush_pending, first_interval=0.05)


def flush_pending() -> None:
    """Timer (main thread): turn queued messages into reports shown in the status bar and the Info editor."""
    from .operators import TOONFLOW_OT_report

    while pending:
        level, text = pending.pop(0)
        op = getattr(bpy.ops.toonflow, TOONFLOW_OT_report.bl_idname.split(".", 1)[1])
        op(level=level, message=text)
    return None
