"""Markdown pieces the benchmark reports share."""
from __future__ import annotations

__all__ = ["markdown_table"]


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table and a blank line after it; a `|` inside a cell is escaped so that it does not split the
    cell."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(header), "|" + "---|" * len(header)] + [line(row) for row in rows] + [""]
