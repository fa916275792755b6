# SPDX-License-Identifier: GPL-3.0-or-later
"""Colorize scenarios for bpy_driver.py (run inside a bpy wheel's Python): the Line Art Colorize node in F12 and
animation renders, Colorize Strip with cancel/resume, the ``colorize`` CLI command, bad inputs, the shipped model.

Media (from test_bpy_colorize.py): a 6-frame line-art PNG sequence, the colour of frames 1 and 6 as keyframes, a
keyframe of another size, and the contract-conforming fixture model ``mix`` (fixed weights, not trained).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np

import bpy
from bpy_driver import (assert_close, cached_frame_count, cancel_midway, comp_tree, devices_opened, mod,
                        new_effect_strip, new_scene, read_rgb, render_still)


def _lines(media: dict) -> list[np.ndarray]:
    return [read_rgb(p) for p in media["lines"]]


def engine_colours(media: dict, temporal: bool = True, model: str | None = None,
                   two_sided: bool = False) -> list[np.ndarray]:
    """engine.Colorizer run directly on the line-art files, keyframes on frames 1 and 6 (indices 0 and 5)."""
    engine = mod("engine")
    col = engine.Colorizer(model if model is not None else media["color_model"], device="cpu",
                           extra_model_dirs=[media["model_dir"]], two_sided=two_sided)
    lines = _lines(media)
    keys = {0: read_rgb(media["key1"]), 5: read_rgb(media["key6"])}
    if temporal:
        return list(col.colorize(lines, keys))
    out = []
    for i, line in enumerate(lines):
        k = min(keys, key=lambda k: (abs(k - i), k))
        out.append(keys[k] if i == k else col.colorize_frame(line, [engine.Reference(lines[k], keys[k])]))
    return out


def _add_key(owner, frame: int, path: str) -> None:  # noqa: ANN001
    item = owner.keyframes.add()
    item.frame = frame
    item.filepath = path


def _color_node(tree, media: dict, src=None, keys: bool = True):  # noqa: ANN001, ANN202
    node = tree.nodes.new("ToonflowColorizeNode")
    node.model = media["color_model"]
    if keys:
        _add_key(node, 1, media["key1"])
        _add_key(node, 6, media["key6"])
    if src is not None:
        tree.links.new(src.outputs[0], node.inputs[0])
    return node


def _line_image_node(tree, media: dict):  # noqa: ANN001, ANN202
    src = tree.nodes.new("CompositorNodeImage")
    img = bpy.data.images.load(media["lines"][0], check_existing=False)
    img.source = "SEQUENCE"
    src.image = img
    src.frame_duration = len(media["lines"])
    return src


def _digest(paths: list[str]) -> str:
    return hashlib.sha256(b"".join(Path(p).read_bytes() for p in paths)).hexdigest()


def _user_files(media: dict) -> list[str]:
    return [*media["lines"], media["key1"], media["key6"], media["key_big"]]


def sc_colorize_node(args: argparse.Namespace, media: dict) -> str:
    """F12 renders of single frames: each equals the engine's colour chain; cached re-render; keyframe repaint."""
    scene = new_scene("Colorize", media)
    tree, out = comp_tree(scene)
    node = _color_node(tree, media, _line_image_node(tree, media))
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work) / "cnode"
    lines = _lines(media)
    chain = engine_colours(media)
    msgs = []
    for f in (3, 5):  # frame 3 alone first: its chain (frame 2) is computed and cached on the way
        got = render_still(scene, work / f"f{f}.png", f)
        msgs.append(assert_close(got, chain[f - 1], lines[f - 1], f"F12 frame {f}"))
    assert node.status == "", node.status
    handlers = mod("blender_addon.handlers")
    runner = handlers._runners[(scene.name, tree.name, node.name)][1]
    cached = runner.frame_path(3)
    mtime = cached.stat().st_mtime_ns
    again = render_still(scene, work / "f3b.png", 3)
    assert cached.stat().st_mtime_ns == mtime, "re-render recomputed the cached frame"
    assert np.array_equal(again, read_rgb(work / "f3.png"))
    # temporal off: a clip of its own, each frame from its nearest keyframe only
    node.temporal = False
    plain = engine_colours(media, temporal=False)
    got = render_still(scene, work / "f3_plain.png", 3)
    msgs.append(assert_close(got, plain[2], lines[2], "F12 frame 3, temporal off"))
    d = float(np.abs(plain[2].astype(int) - chain[2].astype(int)).mean())
    assert d > 0.2, f"temporal on/off give the same colours ({d:.2f}): the chain is not used"
    # a repainted keyframe (same path, new content) is a new cache key
    node.temporal = True
    work.mkdir(parents=True, exist_ok=True)
    key1 = work / "key_copy.png"  # this run's own copy (the media folder is shared by the bpy versions)
    key1.write_bytes(Path(media["key1"]).read_bytes())
    node.keyframes[0].filepath = str(key1)
    before = render_still(scene, work / "f2_k.png", 2)
    key1.write_bytes(Path(media["key6"]).read_bytes())
    after = render_still(scene, work / "f2_k2.png", 2)
    d_key = float(np.abs(before.astype(int) - after.astype(int)).mean())
    assert d_key > 1.0, f"repainted keyframe not seen ({d_key:.2f})"
    return "; ".join(msgs) + f"; cached re-render reused; temporal on/off differ by {d:.2f}; repainted key " \
                             f"changes frame 2 by {d_key:.2f}"


def sc_colorize_animation(args: argparse.Namespace, media: dict) -> str:
    """render(animation=True), as `blender -b file.blend -a`: frames in order, each from the previous frame."""
    scene = new_scene("ColorizeAnim", media)
    tree, out = comp_tree(scene)
    src = _line_image_node(tree, media)
    node = _color_node(tree, media, src)
    node.model = media["color_model"]
    tree.links.new(node.outputs[0], out.inputs[0])
    # another model file of the same network, so this run does not reuse colorize_node's cache
    node.model = media["color_model_copy"]
    work = Path(args.work) / "canim"
    mod("blender_addon.compat").set_image_output(scene, "PNG")
    scene.render.image_settings.color_mode = "RGB"
    scene.render.filepath = str(work / "frame_")
    seen: list[int] = []
    computed: list[int] = []
    handlers = mod("blender_addon.handlers")

    def spy(sc, *_a):  # noqa: ANN001, ANN202
        seen.append(sc.frame_current)

    def after(sc, *_a):  # noqa: ANN001, ANN202
        entry = handlers._runners.get((sc.name, tree.name, node.name))
        if entry is not None:
            computed.extend(i for i in range(1, 7) if entry[1].index_path(i).is_file() and i not in computed)

    bpy.app.handlers.render_pre.append(spy)
    bpy.app.handlers.render_post.append(after)
    try:
        bpy.ops.render.render(animation=True, scene=scene.name)
    finally:
        bpy.app.handlers.render_pre.remove(spy)
        bpy.app.handlers.render_post.remove(after)
    assert seen == list(range(1, 7)), f"render_pre frames {seen}"
    assert computed == list(range(1, 7)), f"frames cached in order {computed}"
    chain = engine_colours(media, model=media["color_model_copy"])
    plain = engine_colours(media, temporal=False, model=media["color_model_copy"])
    lines = _lines(media)
    msgs = []
    for f in range(1, 7):
        got = read_rgb(work / f"frame_{f:04d}.png")
        msgs.append(assert_close(got, chain[f - 1], lines[f - 1], f"-a frame {f}"))
        if f in (3, 4):  # frames whose previous frame is not a keyframe: the chain changes the colours
            d_plain = float(np.abs(got.astype(int) - plain[f - 1].astype(int)).mean())
            assert d_plain > 0.2, f"frame {f} equals the keyframe-only colours ({d_plain:.2f}): temporal unused"
    assert node.status == "", node.status
    return f"frames {seen} in order; " + "; ".join(msgs[1:3]) + " ... (6 frames = engine chain)"


def _strip_scene(media: dict, name: str) -> tuple[bpy.types.Scene, object]:
    compat = mod("blender_addon.compat")
    scene = new_scene(name, media)
    scene.sequence_editor_create()
    coll = compat.top_strips(scene)
    lines = coll.new_image(name="Lines", filepath=media["lines"][0], channel=2, frame_start=10)
    for p in media["lines"][1:]:
        lines.elements.append(Path(p).name)
    tc = lines.toonflow.colorize
    tc.model = media["color_model"]
    _add_key(tc, 10, media["key1"])
    _add_key(tc, 15, media["key6"])
    return scene, lines


class _CountingPasses:
    """Counts the real engine's network passes."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.passes = 0

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.inner, name)

    def colorize(self, gray, refs):  # noqa: ANN001, ANN201
        self.passes += 1
        return self.inner.colorize(gray, refs)


class _Slow:
    """Slows the real engine's network passes down so a cancel lands midway."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.inner, name)

    def colorize(self, gray, refs):  # noqa: ANN001, ANN201
        time.sleep(0.15)
        return self.inner.colorize(gray, refs)


def sc_colorize_strip(args: argparse.Namespace, media: dict) -> str:
    compat = mod("blender_addon.compat")
    seq, worker = mod("blender_addon.strip_jobs"), mod("blender_addon.strip_worker")
    scene, lines = _strip_scene(media, "ColorStrips")
    tc = lines.toonflow.colorize
    total = lines.frame_final_duration
    for s in compat.all_strips(scene):
        s.select = s == lines
    with bpy.context.temp_override(scene=scene):
        rc = bpy.ops.toonflow.colorize_strip(stop_after=2)
    assert rc == {"CANCELLED"}, rc
    assert tc.state.startswith("cancelled"), tc.state
    assert not tc.result_name, "no result strip after a cancel"
    assert tc.frames_done == 2 == cached_frame_count(tc), (tc.frames_done, cached_frame_count(tc))
    job = seq.prepare_job(scene, lines, task=seq.COLORIZE)
    job.runner.processor = _Slow(job.runner.processor)
    cancel_midway(scene, job)
    cached_mid = cached_frame_count(tc)
    assert 2 < cached_mid < total, cached_mid
    # resume through the operator: only the missing frames are computed
    with bpy.context.temp_override(scene=scene):
        rc = bpy.ops.toonflow.colorize_strip()
    assert rc == {"FINISHED"}, (rc, tc.state)
    assert tc.state == "done" and tc.frames_done == total, (tc.state, tc.frames_done)
    res = next(s for s in compat.all_strips(scene) if s.name == tc.result_name)
    assert res.channel == 3 and res.toonflow.role == "RESULT" and res.toonflow.task == "colorize"
    assert (res.frame_final_start, res.frame_final_end) == (lines.frame_final_start, lines.frame_final_end)
    assert lines.toonflow.role == "SOURCE" and not lines.toonflow.result_name  # cartoonize state untouched
    chain = engine_colours(media)
    src = _lines(media)
    folder = Path(bpy.path.abspath(res.directory))
    msgs = [assert_close(read_rgb(folder / el.filename), chain[k], src[k], f"strip frame {k + 1}", tol=0.01)
            for k, el in enumerate(res.elements)]
    # rerun: all from the cache, the result strip replaced (not duplicated)
    n = len(compat.all_strips(scene))
    job = seq.prepare_job(scene, lines, task=seq.COLORIZE)
    worker.run_job(job)
    seq.finish_job(scene, job)
    assert job.result.computed == [] and len(compat.all_strips(scene)) == n
    # the UI bits draw-free: keyframe list operators on the active strip
    scene.sequence_editor.active_strip = lines
    with bpy.context.temp_override(scene=scene):
        bpy.ops.toonflow.keyframe_add(owner="STRIP", frame=12, filepath=media["key1"])
        assert [k.frame for k in tc.keyframes] == [10, 15, 12]
        bpy.ops.toonflow.keyframe_remove(owner="STRIP")
    assert [k.frame for k in tc.keyframes] == [10, 15]
    return f"stopped at 2, cancelled at {cached_mid}/{total}, resumed to {total}; {len(msgs)} frames = engine " \
           f"chain; result channel {res.channel}; " + msgs[1]


def sc_colorize_bad_inputs(args: argparse.Namespace, media: dict) -> str:
    before = _digest(_user_files(media))
    scene = new_scene("ColorBad", media)
    tree, out = comp_tree(scene)
    src = _line_image_node(tree, media)
    nokey = _color_node(tree, media, src, keys=False)
    missing = _color_node(tree, media, src, keys=False)
    _add_key(missing, 1, media["key1"])
    _add_key(missing, 6, str(Path(media["root"]) / "no_such_key.png"))
    nomodel = _color_node(tree, media, src)
    nomodel.model = "no_such_colour_model"
    big = _color_node(tree, media, src, keys=False)
    _add_key(big, 1, media["key_big"])
    tree.links.new(big.outputs[0], out.inputs[0])
    got = render_still(scene, Path(args.work) / "cbad.png", 2)
    assert "no keyframe" in nokey.status, nokey.status
    assert "keyframe image for frame 6 not found" in missing.status, missing.status
    assert "no_such_colour_model" in nomodel.status and "not found" in nomodel.status, nomodel.status
    assert big.status == "", big.status
    assert got.mean() > 5 and float(np.abs(got.astype(int) - read_rgb(media["lines"][1]).astype(int)).mean()) > 10
    # unsupported strips: reported and skipped; the line-art strip beside them still works
    compat = mod("blender_addon.compat")
    sc2, lines = _strip_scene(media, "ColorBadStrips")
    sound = compat.top_strips(sc2).new_sound(name="Tone", filepath=media["sound"], channel=5, frame_start=10)
    flat = new_effect_strip(sc2, "Flat", "COLOR", 6, 10, 4)
    for s in compat.all_strips(sc2):
        s.select = True
    with bpy.context.temp_override(scene=sc2):
        rc = bpy.ops.toonflow.colorize_strip()
    assert rc == {"FINISHED"} and lines.toonflow.colorize.state == "done", (rc, lines.toonflow.colorize.state)
    assert not sound.toonflow.colorize.result_name and not flat.toonflow.colorize.result_name
    # a strip with no keyframes
    lines.toonflow.colorize.keyframes.clear()
    for s in compat.all_strips(sc2):
        s.select = s == lines
    with bpy.context.temp_override(scene=sc2):
        rc = bpy.ops.toonflow.colorize_strip()
    assert rc == {"CANCELLED"}, rc
    assert _digest(_user_files(media)) == before, "a user file was modified"
    return f"messages: {nokey.status[:60]} | {missing.status[:70]} | {nomodel.status[:60]}; user files unchanged"


def sc_colorize_cli(args: argparse.Namespace, media: dict) -> str:
    cli = mod("blender_addon.cli")
    compat = mod("blender_addon.compat")
    scene, lines = _strip_scene(media, "ColorCLI")
    lines.toonflow.colorize.keyframes.clear()
    bpy.context.window.scene = scene if bpy.context.window else None
    rc_nokey = cli.toonflow_command(["colorize", "--scene", scene.name, "--strip", "Lines"])
    assert rc_nokey == 1, rc_nokey
    rc_missing = cli.toonflow_command(["colorize", "--scene", scene.name, "--strip", "Lines", "--key",
                                       f"10={media['root']}/nope.png"])
    assert rc_missing == 1, rc_missing
    rc = cli.toonflow_command(["colorize", "--scene", scene.name, "--strip", "Lines", "--key",
                               f"10={media['key1']}", "--key", f"15={media['key6']}", "--no-temporal"])
    assert rc == 0, rc
    tc = lines.toonflow.colorize
    res = next(s for s in compat.all_strips(scene) if s.name == tc.result_name)
    plain = engine_colours(media, temporal=False)
    got = read_rgb(Path(bpy.path.abspath(res.directory)) / res.elements[2].filename)
    msg = assert_close(got, plain[2], read_rgb(media["lines"][2]), "CLI colorize frame 12", tol=0.01)
    keys = ["--key", f"10={media['key1']}", "--key", f"15={media['key6']}", "--no-temporal"]
    devices = devices_opened(cli, ["colorize", "--scene", scene.name, "--strip", "Lines", *keys, "--device", "gpu"])
    assert devices == ["gpu"], f"colorize --device gpu opened the engine with {devices} (preferences say cpu)"
    assert devices_opened(cli, ["colorize", "--scene", scene.name, "--strip", "Lines", *keys]) == ["cpu"]
    assert cli.toonflow_command(["colorize", "--scene", scene.name, "--marked"]) == 1  # nothing marked
    assert cli.toonflow_command(["colorize", "--key", "bad"]) == 2
    # the render command with a colorize node (the `blender -b file.blend --command toonflow render` way)
    sc2 = new_scene("ColorCLIRender", media)
    tree, out = comp_tree(sc2)
    node = _color_node(tree, media, _line_image_node(tree, media))
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work) / "ccli"
    mod("blender_addon.compat").set_image_output(sc2, "PNG")
    sc2.render.image_settings.color_mode = "RGB"
    rc_render = cli.toonflow_command(["render", "--scene", sc2.name, "--frames", "1-3", "--output",
                                      str(work / "r_")])
    assert rc_render == 0, rc_render
    chain = engine_colours(media)
    msg2 = assert_close(read_rgb(work / "r_0003.png"), chain[2], read_rgb(media["lines"][2]), "CLI render frame 3")
    node.keyframes.clear()
    assert cli.toonflow_command(["render", "--scene", sc2.name, "--frames", "4", "--output", str(work / "bad_")]) == 1
    return f"{msg}; {msg2}; no key / missing key / nothing marked rc 1, usage rc 2, render without keys rc 1, " \
           "--device reaches the engine"


def sc_colorize_movie_holds(args: argparse.Namespace, media: dict) -> str:
    """Each drawing twice, the copy 16 levels darker in one patch (coding noise on a hold), through
    open_colorize_clip with Temporal on: from a movie the copy holds (the engine's video tolerance, 20) and repeats
    the colour without a network pass; from an image sequence (tolerance 12) it is coloured anew. The tolerance is
    part of the cache key: with the movie tolerance set back to 12 (as before session 8) the movie's cached clip is
    not reused, and every frame is coloured anew."""
    bridge, sources = mod("blender_addon.engine_bridge"), mod("blender_addon.sources")
    lineart = mod("engine.lineart")
    settings = mod("blender_addon.keys").ProcessSettings(task="colorize", model=media["color_model"], temporal=True)
    key = mod("blender_addon.keyframes").Keyframe(frame=1, path=Path(media["key1"]))
    passes, folders = {}, {}
    video_tolerance = lineart.VIDEO_HOLD_TOLERANCE
    for kind, path, tolerance in (("movie", media["hold_movie"], video_tolerance),
                                  ("sequence", media["hold_lines"], video_tolerance),
                                  ("movie at 12", media["hold_movie"], lineart.DEFAULT_HOLD_TOLERANCE)):
        lineart.VIDEO_HOLD_TOLERANCE = tolerance
        try:
            runner = bridge.open_colorize_clip(
                sources.open_source(path, kind.split()[0]), settings, [key], model_dirs=(media["model_dir"],),
                device="cpu", cache_root=Path(args.work) / "holds", index_of=lambda frame: frame - 1, first_frame=1,
                owner=f"{kind} holds")
            runner.processor = _CountingPasses(runner.processor)
            runner.ensure([1, 2, 3, 4])
        finally:
            lineart.VIDEO_HOLD_TOLERANCE = video_tolerance
        out = [read_rgb(runner.frame_path(f)) for f in (1, 2, 3, 4)]
        passes[kind], folders[kind] = runner.processor.passes, runner.cache.dir
        if kind != "movie at 12":  # coloured anew from the movie's noisy frames, so not pixel-equal
            assert np.array_equal(out[0], out[1]) and np.array_equal(out[2], out[3]), kind
    # frame 1 is the keyframe; the movie colours frame 3 only, the sequence frames 2, 3 and 4
    assert passes == {"movie": 1, "sequence": 3, "movie at 12": 3}, passes
    assert folders["movie"] != folders["movie at 12"], folders
    return f"network passes for 3 frames after the keyframe: {passes}"


def sc_colorize_shipped(args: argparse.Namespace, media: dict) -> str:
    """The shipped colorize model (default model name) in an F12 render, when it is in the extension."""
    engine = mod("engine")
    names = [c.name for c in engine.find_models(task="colorize")]
    if "lcmftn" not in names:
        return f"SKIPPED: no shipped colorize model in the extension (models: {names})"
    scene = new_scene("ColorShipped", media)
    tree, out = comp_tree(scene)
    node = _color_node(tree, media, _line_image_node(tree, media))
    node.model = ""  # the default: the shipped lcmftn
    node.temporal = False
    tree.links.new(node.outputs[0], out.inputs[0])
    t0 = time.perf_counter()
    got = render_still(scene, Path(args.work) / "shipped.png", 3)
    seconds = time.perf_counter() - t0
    assert node.status == "", node.status
    col = engine.Colorizer(None, device="cpu")
    lines = _lines(media)
    ref = col.colorize_frame(lines[2], [engine.Reference(lines[0], read_rgb(media["key1"]))])
    return assert_close(got, ref, lines[2], "shipped lcmftn F12 frame 3") + f" ({seconds:.1f}s)"


def sc_colorize_two_sided(args: argparse.Namespace, media: dict) -> str:
    """Two-Sided on the node (F12) and on a strip (the ``colorize --two-sided`` command) gives the engine's
    two-sided frames, which differ from the one-sided chain's between the keyframes."""
    scene = new_scene("ColorTwoSided", media)
    tree, out = comp_tree(scene)
    node = _color_node(tree, media, _line_image_node(tree, media))
    node.two_sided = True
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work) / "ctwo"
    lines = _lines(media)
    two, one = engine_colours(media, two_sided=True), engine_colours(media)
    d = float(np.abs(two[2].astype(int) - one[2].astype(int)).mean())
    assert d > 0.2, f"two-sided and one-sided engine runs are alike at frame 3 ({d:.2f})"
    got = render_still(scene, work / "f3.png", 3)
    msg = assert_close(got, two[2], lines[2], "F12 frame 3, two-sided", tol=0.01)
    cli, compat = mod("blender_addon.cli"), mod("blender_addon.compat")
    strips, line_strip = _strip_scene(media, "ColorTwoSidedCLI")
    bpy.context.window.scene = strips if bpy.context.window else None
    assert cli.toonflow_command(["colorize", "--scene", strips.name, "--strip", "Lines", "--two-sided"]) == 0
    tc = line_strip.toonflow.colorize
    res = next(s for s in compat.all_strips(strips) if s.name == tc.result_name)
    frames = [read_rgb(Path(bpy.path.abspath(res.directory)) / e.filename) for e in res.elements]
    msgs = [assert_close(frames[i], two[i], lines[i], f"strip frame {10 + i}, two-sided", tol=0.01)
            for i in (1, 2, 3, 4)]
    return f"{msg}; {'; '.join(msgs)}; two-sided differs from one-sided by {d:.2f} at frame 3"


SCENARIOS = {f.__name__[3:]: f for f in (sc_colorize_node, sc_colorize_animation, sc_colorize_strip,
                                          sc_colorize_bad_inputs, sc_colorize_cli, sc_colorize_movie_holds,
                                          sc_colorize_shipped, sc_colorize_two_sided)}
