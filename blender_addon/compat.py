# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender 4.2 - 5.0 API differences, in one place.

- 5.0: the compositor tree is ``scene.compositing_node_group`` (a ``CompositorNodeTree`` with a Group Output);
  before: ``scene.use_nodes`` + ``scene.node_tree`` with a Composite node.
- 5.0 (and 4.4+): ``sequence_editor.strips``; before: ``sequence_editor.sequences``; the RNA type is
  ``bpy.types.Strip`` (4.4+) or ``bpy.types.Sequence``.
- 5.0: FFmpeg output needs ``image_settings.media_type = 'VIDEO'`` before ``file_format = 'FFMPEG'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import bpy

__all__ = [
    "IS_50", "STRIP_TYPE", "compositor_tree", "all_strips", "top_strips", "set_image_output", "restore_file_format",
    "iter_tree_nodes", "has_cli_command", "operator_call",
]

IS_50: bool = bpy.app.version >= (5, 0, 0)
STRIP_TYPE: type = getattr(bpy.types, "Strip", None) or getattr(bpy.types, "Sequence")


def compositor_tree(scene: bpy.types.Scene) -> bpy.types.NodeTree | None:
    """The scene's compositor node tree, or None (compositing not set up)."""
    if IS_50:
        return getattr(scene, "compositing_node_group", None)
    return scene.node_tree if scene.use_nodes else None


def iter_tree_nodes(tree: bpy.types.NodeTree, _seen: set[int] | None = None) -> Iterator[bpy.types.Node]:
    """All nodes of ``tree``, descending into (non-Toonflow) group nodes."""
    seen = _seen if _seen is not None else set()
    if tree is None or tree.as_pointer() in seen:
        return
    seen.add(tree.as_pointer())
    for node in tree.nodes:
        yield node
        inner = getattr(node, "node_tree", None)
        if inner is not None and not getattr(node, "is_toonflow", False) and node.bl_idname == "CompositorNodeGroup":
            yield from iter_tree_nodes(inner, seen)


def _strip_collection(sed: bpy.types.SequenceEditor, top: bool) -> bpy.types.bpy_prop_collection:
    if hasattr(sed, "strips"):
        return sed.strips if top else sed.strips_all
    return sed.sequences if top else sed.sequences_all


def all_strips(scene: bpy.types.Scene) -> list[bpy.types.bpy_struct]:
    sed = scene.sequence_editor
    return list(_strip_collection(sed, top=False)) if sed is not None else []


def top_strips(scene: bpy.types.Scene) -> bpy.types.bpy_prop_collection:
    """The collection new strips are added to (``new_image`` ...)."""
    sed = scene.sequence_editor or scene.sequence_editor_create()
    return _strip_collection(sed, top=True)


def set_image_output(scene: bpy.types.Scene, file_format: str = "PNG") -> None:
    settings = scene.render.image_settings
    if IS_50 and hasattr(settings, "media_type"):
        settings.media_type = "IMAGE"
    settings.file_format = file_format


def restore_file_format(scene: bpy.types.Scene, file_format: str) -> None:
    settings = scene.render.image_settings
    if IS_50 and hasattr(settings, "media_type"):
        settings.media_type = "VIDEO" if file_format == "FFMPEG" else "IMAGE"
    settings.file_format = file_format


def has_cli_command() -> bool:
    return hasattr(bpy.utils, "register_cli_command")


def operator_call(op: type) -> Callable[..., set[str]]:
    """``bpy.ops.<category>.<name>`` of an operator class, found from its ``bl_idname`` (never a string copy)."""
    category, _, name = op.bl_idname.partition(".")
    return getattr(getattr(bpy.ops, category), name)
