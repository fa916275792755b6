# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages for the user: stderr in background mode, the report area (via a timer + operator) with a UI.

Handlers may run on the render thread, where an operator cannot report; so messages are queued and a timer on the
main thread hands each to :class:`TOONFLOW_OT_report`, whose ``self.report`` shows it in the status bar and the
Info editor.
"""

from __future__ import annotations

import logging
import sys

import bpy

from .compat import operator_call

__all__ = ["TOONFLOW_OT_report", "user_message", "echo_to_stderr", "flush_pending", "pending", "classes"]

log = logging.getLogger(__name__)
pending: list[tuple[str, str]] = []


class TOONFLOW_OT_report(bpy.types.Operator):
    """Show a Toonflow message in the report area"""

    bl_idname = "toonflow.report"
    bl_label = "Toonflow Message"
    bl_options = {"INTERNAL"}

    level: bpy.props.StringProperty(default="WARNING")
    message: bpy.props.StringProperty(default="")

    def execute(self, context: bpy.types.Context) -> set[str]:
        level = self.level if self.level in {"INFO", "WARNING", "ERROR"} else "WARNING"
        self.report({level}, self.message)
        return {"FINISHED"}


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
    report = operator_call(TOONFLOW_OT_report)
    while pending:
        level, text = pending.pop(0)
        report(level=level, message=text)
    return None


classes = (TOONFLOW_OT_report,)
