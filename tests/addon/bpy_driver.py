# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside a bpy wheel's Python (spawned by the tests): installs the built extension and runs scenarios.

Usage: python bpy_driver.py --zip Z --media JSON --work DIR --out results.json SCENARIO...
Writes {scenario: {"ok": bool, "detail": str}} and leaves with os._exit (bpy 4.5 hangs at exit otherwise).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

import bpy

PKG = "bl_ext.user_default.toonflow"
RESULTS: dict[str, dict[str, object]] = {}


def read_rgb(path: str | Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert img is not None, f"cannot read {path}"
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def mod(name: str):  # noqa: ANN201
    return importlib.import_module(f"{PKG}.{name}")


def engine_reference(media: dict, frames: list[np.ndarray], temporal: bool = False) -> list[np.ndarray]:
    engine = mod("engine")
    c = engine.Cartoonizer(media["model"], device="cpu", extra_model_dirs=[media["model_dir"]], temporal=temporal)
    return [c.process(f) for f in frames]


def assert_close(out: np.ndarray, ref: np.ndarray, src: np.ndarray, what: str, tol: float = 1.5) -> str:
    assert out.shape == ref.shape, f"{what}: shape {out.shape} != {ref.shape}"
    d_ref = float(np.abs(out.astype(np.int16) - ref.astype(np.int16)).mean())
    d_src = float(np.abs(out.astype(np.int16) - src.astype(np.int16)).mean())
    assert out.mean() > 5, f"{what}: output is black (mean {out.mean():.1f})"
    assert d_ref <= tol, f"{what}: differs from the engine's result by {d_ref:.2f} (source diff {d_src:.2f})"
    assert d_src > 10 * max(d_ref, 1.0), f"{what}: output is too close to the source ({d_src:.2f})"
    return f"{what}: |out-engine|={d_ref:.2f} |out-src|={d_src:.2f}"


def new_scene(name: str, media: dict) -> bpy.types.Scene:
    scene = bpy.data.scenes.new(name)
    bpy.context.window_manager.windows[0].scene = scene if bpy.context.window_manager.windows else None
    r = scene.render
    r.resolution_x, r.resolution_y, r.resolution_percentage = media["width"], media["height"], 100
    r.dither_intensity = 0.0
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.frame_start, scene.frame_end = 1, media["n_frames"]
    scene.render.engine = "CYCLES"  # EEVEE would compile shaders on software GL; compositor-only scenes skip it
    scene.cycles.samples = 1
    cam = bpy.data.objects.new(f"{name} camera", bpy.data.cameras.new(f"{name} camera"))
    scene.collection.objects.link(cam)
    scene.camera = cam
    return scene


def comp_tree(scene: bpy.types.Scene):  # noqa: ANN201
    """Create (or reuse) the compositor tree; returns (tree, the node that receives the final image)."""
    if mod("blender_addon.compat").IS_50:
        tree = scene.compositing_node_group
        if tree is None:
            tree = bpy.data.node_groups.new(f"{scene.name} Compositing", "CompositorNodeTree")
            scene.compositing_node_group = tree
        if not any(s.in_out == "OUTPUT" for s in tree.interface.items_tree if s.item_type == "SOCKET"):
            tree.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        out = next((n for n in tree.nodes if n.bl_idname == "NodeGroupOutput"), None)
        if out is None:
            out = tree.nodes.new("NodeGroupOutput")
        return tree, out
    scene.use_nodes = True
    tree = scene.node_tree
    out = next((n for n in tree.nodes if n.bl_idname == "CompositorNodeComposite"), None)
    if out is None:
        out = tree.nodes.new("CompositorNodeComposite")
    return tree, out


def new_effect_strip(scene: bpy.types.Scene, name: str, effect: str, channel: int, frame_start: int,
                     length: int):  # noqa: ANN201
    """``new_effect``: 5.0 takes ``length``, earlier versions ``frame_end`` (exclusive)."""
    compat = mod("blender_addon.compat")
    coll = compat.top_strips(scene)
    if compat.IS_50:
        return coll.new_effect(name=name, type=effect, channel=channel, frame_start=frame_start, length=length)
    return coll.new_effect(name=name, type=effect, channel=channel, frame_start=frame_start,
                           frame_end=frame_start + length)


def render_still(scene: bpy.types.Scene, path: Path, frame: int) -> np.ndarray:
    scene.frame_set(frame)
    mod("blender_addon.compat").set_image_output(scene, "PNG")
    scene.render.image_settings.color_mode = "RGB"
    scene.render.filepath = str(path)
    with bpy.context.temp_override(scene=scene):
        bpy.ops.render.render(write_still=True, scene=scene.name)
    return read_rgb(path)


def cached_frame_count(state) -> int:  # noqa: ANN001
    """Frames in a strip's cartoonize or colorize cache folder (``state``: ``strip.toonflow`` or its ``colorize``)."""
    return len(list(Path(state.cache_dir).glob("f*.png"))) if state.cache_dir else 0


def cancel_midway(scene: bpy.types.Scene, job, min_done: int = 4) -> None:  # noqa: ANN001
    """Runs ``job`` on the modal operator's worker thread and stops it (what Esc does) once it has done ``min_done``
    frames; then finishes it, which must leave it cancelled. Slow its processor down first, so the cancel lands
    midway."""
    worker = mod("blender_addon.strip_worker").StripWorker([job])
    worker.start()
    deadline = time.time() + 60
    while job.done < min_done and worker.running and time.time() < deadline:
        time.sleep(0.01)
    worker.stop(timeout=60)
    assert not worker.running and worker.progress() == (job.done, job.total), worker.progress()
    mod("blender_addon.strip_jobs").finish_job(scene, job)
    assert job.cancelled, (job.error, job.done)


# ---------------------------------------------------------------- scenarios

def sc_install(args: argparse.Namespace, media: dict) -> str:
    bpy.ops.extensions.package_install_files(filepath=args.zip, repo="user_default", enable_on_install=True)
    assert PKG in bpy.context.preferences.addons, f"{PKG} not enabled: {list(bpy.context.preferences.addons.keys())}"
    assert bpy.types.Node.bl_rna_get_subclass_py("ToonflowCartoonizeNode") is not None, "node type not registered"
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.model_dir = media["model_dir"]
    prefs.device = "CPU"
    cli = mod("blender_addon.cli")
    assert cli._handle is not None, "CLI command not registered"
    return f"installed from {Path(args.zip).name}; cache {mod('blender_addon.settings').addon_settings().cache_root}"


def sc_model_search(args: argparse.Namespace, media: dict) -> str:
    """The Model fields' search callbacks: wired on the registered types, listing the installed models of the task."""
    engine = mod("engine")
    search = mod("blender_addon.model_search")
    wired = {(bpy.types.Node, "ToonflowCartoonizeNode"): search.search_cartoonize_models,
             (bpy.types.Node, "ToonflowColorizeNode"): search.search_colorize_models,
             (bpy.types.PropertyGroup, "ToonflowStripProps"): search.search_strip_models,
             (bpy.types.PropertyGroup, "ToonflowColorizeProps"): search.search_colorize_models}
    for (base, type_name), callback in wired.items():
        cls = base.bl_rna_get_subclass_py(type_name)
        assert cls is not None, f"{type_name} not registered"
        # the add-on's modules use string annotations; Blender evaluates them in the module, and so does this
        prop = inspect.get_annotations(cls, eval_str=True)["model"]
        assert prop.function is bpy.props.StringProperty, (type_name, prop.function)
        assert prop.keywords.get("search") is callback, (type_name, prop.keywords.get("search"))
        assert "SUGGESTION" in prop.keywords.get("search_options", {"SUGGESTION"}), "typed paths must stay allowed"

    def expected(task: str) -> list[str]:
        names = [c.name for c in engine.find_models([media["model_dir"]], task=task)]
        default = engine.models.DEFAULT_MODELS[task]
        return sorted(names, key=lambda n: n != default)

    scene = new_scene("ModelSearch", media)
    tree, _out = comp_tree(scene)
    got: dict[str, list[tuple[str, str]]] = {}
    for node_type, task in (("ToonflowCartoonizeNode", "cartoonize"), ("ToonflowColorizeNode", "colorize")):
        node = tree.nodes.new(node_type)
        got[task] = list(wired[(bpy.types.Node, node_type)](node, bpy.context, ""))
        assert [n for n, _ in got[task]] == expected(task), (task, got[task], expected(task))
        default = engine.models.DEFAULT_MODELS[task]
        assert all(d.startswith("default: ") == (n == default) for n, d in got[task]), got[task]
        node.model = str(Path(media["root"]) / "custom.onnx")  # still a free text field
        assert node.model.endswith("custom.onnx")
    fixtures = [n for n in (media["model"], media.get("color_model")) if n]
    listed = {n for names in got.values() for n, _ in names}
    assert any(n in listed for n in fixtures), (fixtures, listed)
    scene.sequence_editor_create()
    strip = mod("blender_addon.compat").top_strips(scene).new_movie(
        name="Clip", filepath=media["movie"], channel=1, frame_start=1)
    assert search.search_strip_models(strip.toonflow, bpy.context, "") == got["cartoonize"]
    assert search.search_colorize_models(strip.toonflow.colorize, bpy.context, "") == got["colorize"]
    return "; ".join(f"{task}: {', '.join(n for n, _ in names)}" for task, names in got.items())


def _toon_node(tree, media: dict):  # noqa: ANN001, ANN202
    node = tree.nodes.new("ToonflowCartoonizeNode")
    node.model = media["model"]
    return node


def sc_node_still(args: argparse.Namespace, media: dict) -> str:
    scene = new_scene("Still", media)
    tree, out = comp_tree(scene)
    src = tree.nodes.new("CompositorNodeImage")
    src.image = bpy.data.images.load(media["still"])
    node = _toon_node(tree, media)
    tree.links.new(src.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work)
    t0 = time.perf_counter()
    img = render_still(scene, work / "still_out.png", 1)
    t1 = time.perf_counter()
    source = read_rgb(media["still"])
    ref = engine_reference(media, [source])[0]
    msg = assert_close(img, ref, source, "F12 still")
    assert node.ran_on == f"{media['model']} on CPU in fp32", f"the node says it ran on {node.ran_on!r}"
    handlers = mod("blender_addon.handlers")
    cache_files = [handlers._runners[(scene.name, tree.name, node.name)][1].frame_path(1)]
    assert cache_files[0].is_file(), cache_files
    mtime = cache_files[0].stat().st_mtime_ns
    img2 = render_still(scene, work / "still_out2.png", 1)
    assert cache_files[0].stat().st_mtime_ns == mtime, "re-render recomputed the cached frame"
    assert np.array_equal(img, img2)
    # strength 0 gives the source back (strength is part of the cache key)
    node.strength = 0.0
    img3 = render_still(scene, work / "still_out3.png", 1)
    d = float(np.abs(img3.astype(int) - source.astype(int)).mean())
    assert d < 1.5, f"strength 0 should give the source, diff {d:.2f}"
    return f"{msg}; first render {t1 - t0:.2f}s; cached re-render reused; strength 0 = source (diff {d:.2f})"


def sc_node_animation(args: argparse.Namespace, media: dict) -> str:
    """A movie through an Image node (source MOVIE) and a PNG sequence, rendered like `blender -b -a`."""
    import av

    scene = new_scene("Anim", media)
    tree, out = comp_tree(scene)
    src = tree.nodes.new("CompositorNodeImage")
    img = bpy.data.images.load(media["movie"])
    src.image = img
    src.frame_duration = media["n_frames"]
    node = _toon_node(tree, media)
    node.temporal = True
    tree.links.new(src.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work) / "anim"
    mod("blender_addon.compat").set_image_output(scene, "PNG")
    scene.render.image_settings.color_mode = "RGB"
    scene.render.filepath = str(work / "frame_")
    scene.frame_end = 4
    seen: list[int] = []

    def spy(sc, *_a):  # noqa: ANN001, ANN202
        seen.append(sc.frame_current)

    bpy.app.handlers.render_pre.append(spy)
    try:
        bpy.ops.render.render(animation=True, scene=scene.name)
    finally:
        bpy.app.handlers.render_pre.remove(spy)
    assert seen == [1, 2, 3, 4], f"render_pre frames {seen}"
    with av.open(media["movie"]) as c:
        movie = [f.to_ndarray(format="rgb24") for _, f in zip(range(4), c.decode(video=0))]
    refs = engine_reference(media, movie, temporal=True)
    msgs = []
    for i in range(4):
        got = read_rgb(work / f"frame_{i + 1:04d}.png")
        msgs.append(assert_close(got, refs[i], movie[i], f"-a frame {i + 1}"))
    return "; ".join(msgs[:2]) + f" ... ({len(msgs)} frames, temporal, in order)"


def sc_node_chunks(args: argparse.Namespace, media: dict) -> str:
    """A temporal node rendered like a farm: frames 1-3, 4-6 and 7-8 as separate jobs (each with its own empty
    cache and no runner state, like a fresh `blender -b file.blend -s A -e B -a`) against one whole render."""
    handlers = mod("blender_addon.handlers")
    prefs = bpy.context.preferences.addons[PKG].preferences
    scene = new_scene("Chunks", media)
    tree, out = comp_tree(scene)
    src = tree.nodes.new("CompositorNodeImage")
    src.image = bpy.data.images.load(media["movie"])
    src.frame_duration = 8
    node = _toon_node(tree, media)
    node.temporal = True
    node.temporal_strength = 0.2  # a short reach (3 warm-up frames) so the last chunk does not start from frame 1
    tree.links.new(src.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], out.inputs[0])
    mod("blender_addon.compat").set_image_output(scene, "PNG")
    scene.render.image_settings.color_mode = "RGB"
    work = Path(args.work) / "chunks"
    old_cache = prefs.cache_dir
    rendered: dict[str, dict[int, np.ndarray]] = {}
    try:
        for name, (first, last) in {"whole": (1, 8), "a": (1, 3), "b": (4, 6), "c": (7, 8), "off": (7, 8)}.items():
            handlers.on_load_post()  # forget the runners, as a new Blender process would
            node.temporal = name != "off"
            prefs.cache_dir = str(work / f"cache_{name}")
            scene.frame_start, scene.frame_end = first, last
            scene.render.filepath = str(work / name / "frame_")
            bpy.ops.render.render(animation=True, scene=scene.name)
            rendered[name] = {f: read_rgb(work / name / f"frame_{f:04d}.png") for f in range(first, last + 1)}
    finally:
        prefs.cache_dir = old_cache
    parts = {**rendered["a"], **rendered["b"], **rendered["c"]}
    worst = max(int(np.abs(parts[f].astype(int) - rendered["whole"][f].astype(int)).max()) for f in range(1, 9))
    assert worst <= 1, f"chunked frames differ from the whole render by up to {worst} levels"
    # the stabiliser's state does change frames 7-8 (without it they differ), so the agreement is the warm-up's
    state_effect = max(int(np.abs(rendered["off"][f].astype(int) - rendered["whole"][f].astype(int)).max())
                       for f in (7, 8))
    assert state_effect > 1, f"the stabiliser changes frames 7-8 by only {state_effect}: the test shows nothing"
    node.temporal = True
    handlers.on_load_post()
    handlers.update_node(scene, node, 7)
    runner = handlers._runners[(scene.name, tree.name, node.name)][1]
    warm = runner.processor.warmup_frames(6)
    assert warm == 3, f"warm-up before frame 7 is {warm} frames, expected 3 at strength 0.2"
    exact = sum(np.array_equal(parts[f], rendered["whole"][f]) for f in range(1, 9))
    return (f"chunks 1-3, 4-6, 7-8 vs one render: max difference {worst} level(s), {exact}/8 frames identical "
            f"(the stabiliser alone moves frames 7-8 by up to {state_effect})")


def sc_node_sequence(args: argparse.Namespace, media: dict) -> str:
    scene = new_scene("Seq", media)
    tree, out = comp_tree(scene)
    src = tree.nodes.new("CompositorNodeImage")
    img = bpy.data.images.load(media["seq_first"])
    img.source = "SEQUENCE"
    src.image = img
    src.frame_duration = media["n_frames"]
    node = _toon_node(tree, media)
    tree.links.new(src.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], out.inputs[0])
    got = render_still(scene, Path(args.work) / "seq3.png", 3)
    source = read_rgb(media["seq_first"].replace("0001", "0003"))
    return assert_close(got, engine_reference(media, [source])[0], source, "sequence frame 3")


def sc_render_layers(args: argparse.Namespace, media: dict) -> str:
    """Render Layers input: the CLI `render` command does the pre-render pass, then composites."""
    scene = new_scene("RL", media)
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 2
    scene.cycles.device = "CPU"
    cam = scene.camera
    cam.location = (0, -6, 0)
    cam.rotation_euler = (1.5708, 0, 0)
    mesh = bpy.data.meshes.new("quad")
    mesh.from_pydata([(-1, 0, -1), (1, 0, -1), (1, 0, 1), (-1, 0, 1)], [], [(0, 1, 2, 3)])
    obj = bpy.data.objects.new("quad", mesh)
    scene.collection.objects.link(obj)
    world = bpy.data.worlds.new("w")
    world.color = (0.2, 0.4, 0.8)
    scene.world = world
    light_data = bpy.data.lights.new("sun", "SUN")
    light = bpy.data.objects.new("sun", light_data)
    light.rotation_euler = (1.2, 0, 0)
    scene.collection.objects.link(light)
    obj.keyframe_insert("location", frame=1)
    obj.location.x = 0.8
    obj.keyframe_insert("location", frame=2)
    with bpy.context.temp_override(scene=scene):
        tree, out = comp_tree(scene)
        rl = tree.nodes.new("CompositorNodeRLayers")
    rl.scene = scene
    node = _toon_node(tree, media)
    tree.links.new(rl.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], out.inputs[0])
    work = Path(args.work) / "rl"
    mod("blender_addon.compat").set_image_output(scene, "PNG")
    scene.render.image_settings.color_mode = "RGB"
    # F12 without a pre-render: a clear message, the render still completes (source passes through)
    render_still(scene, work / "nopre.png", 1)
    assert "pre-render" in node.status.lower(), node.status
    bpy.context.window.scene = scene if bpy.context.window else None
    cli = mod("blender_addon.cli")
    rc = cli.toonflow_command(["render", "--scene", scene.name, "--frames", "1-2", "--output", str(work / "out_")])
    assert rc == 0, f"render command returned {rc}"
    prerender = mod("blender_addon.prerender")
    msgs = []
    for f in (1, 2):
        raw = read_rgb(prerender.prerender_dir(scene, rl.layer) / f"f{f:06d}.png")
        got = read_rgb(work / f"out_{f:04d}.png")
        msgs.append(assert_close(got, engine_reference(media, [raw])[0], raw, f"render layers frame {f}"))
    return f"no pre-render -> '{node.status[:60]}...'; " + "; ".join(msgs)


def sc_bad_inputs(args: argparse.Namespace, media: dict) -> str:
    scene = new_scene("Bad", media)
    tree, out = comp_tree(scene)
    good_src = tree.nodes.new("CompositorNodeImage")
    good_src.image = bpy.data.images.load(media["still"])
    lonely = _toon_node(tree, media)  # nothing linked
    missing = _toon_node(tree, media)
    miss_img = tree.nodes.new("CompositorNodeImage")
    miss_img.image = bpy.data.images.load(media["still"], check_existing=False)
    miss_img.image.filepath = str(Path(media["root"]) / "does_not_exist.png")
    tree.links.new(miss_img.outputs[0], missing.inputs[0])
    nomodel = _toon_node(tree, media)
    nomodel.model = "no_such_model"
    tree.links.new(good_src.outputs[0], nomodel.inputs[0])
    good = _toon_node(tree, media)
    tree.links.new(good_src.outputs[0], good.inputs[0])
    tree.links.new(good.outputs[0], out.inputs[0])
    img = render_still(scene, Path(args.work) / "bad.png", 1)
    assert "nothing is linked" in lonely.status, lonely.status
    assert "not found" in missing.status, missing.status
    assert "no_such_model" in nomodel.status and "not found" in nomodel.status, nomodel.status
    assert good.status == "", good.status
    source = read_rgb(media["still"])
    msg = assert_close(img, engine_reference(media, [source])[0], source, "good node beside bad ones")
    return f"{msg}; messages: {lonely.status[:50]} | {missing.status[:50]} | {nomodel.status[:50]}"


def _strip_scene(media: dict, name: str) -> tuple[bpy.types.Scene, object]:
    compat = mod("blender_addon.compat")
    scene = new_scene(name, media)
    scene.sequence_editor_create()
    coll = compat.top_strips(scene)
    movie = coll.new_movie(name="Clip", filepath=media["movie"], channel=2, frame_start=10)
    movie.toonflow.model = media["model"]
    return scene, movie


def sc_strip(args: argparse.Namespace, media: dict) -> str:
    import av

    compat = mod("blender_addon.compat")
    scene, movie = _strip_scene(media, "Strips")
    coll = compat.top_strips(scene)
    movie.frame_offset_start = 1  # trimmed: the result must follow the visible range
    sound = coll.new_sound(name="Tone", filepath=media["sound"], channel=1, frame_start=10)
    text = new_effect_strip(scene, "Title", "TEXT", 5, 10, 4)
    color = new_effect_strip(scene, "Flat", "COLOR", 6, 10, 4)
    for s in compat.all_strips(scene):
        s.select = True
    with bpy.context.temp_override(scene=scene):
        rc = bpy.ops.toonflow.cartoonize_strip()
    assert rc == {"FINISHED"}, rc
    tf = movie.toonflow
    assert tf.state == "done", tf.state
    res = next(s for s in compat.all_strips(scene) if s.name == tf.result_name)
    assert res.channel == 3, res.channel
    assert (res.frame_final_start, res.frame_final_end) == (movie.frame_final_start, movie.frame_final_end), \
        ((res.frame_final_start, res.frame_final_end), (movie.frame_final_start, movie.frame_final_end))
    assert res.toonflow.role == "RESULT" and res.toonflow.source_name == movie.name
    with av.open(media["movie"]) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    refs = engine_reference(media, frames)
    folder = Path(bpy.path.abspath(res.directory))
    msgs = []
    for k, el in enumerate(res.elements):
        tl = res.frame_final_start + k
        idx = int(tl - movie.frame_start)
        got = read_rgb(folder / el.filename)
        msgs.append(assert_close(got, refs[idx], frames[idx], f"strip frame {tl}", tol=0.01))
    # unsupported strips were reported and skipped, nothing was added for them
    for s in (sound, text, color):
        assert not s.toonflow.result_name, s.name
    n_before = len(compat.all_strips(scene))
    # rerun: everything comes from the cache, the result strip is replaced (not duplicated)
    for s in compat.all_strips(scene):
        s.select = s == movie
    with bpy.context.temp_override(scene=scene):
        bpy.ops.toonflow.cartoonize_strip()
    assert len(compat.all_strips(scene)) == n_before
    return f"{len(msgs)} frames, result on channel {res.channel}, timing {res.frame_final_start}-" \
           f"{res.frame_final_end}; " + msgs[0]


def sc_strip_cancel_resume(args: argparse.Namespace, media: dict) -> str:
    compat = mod("blender_addon.compat")
    seq, worker = mod("blender_addon.strip_jobs"), mod("blender_addon.strip_worker")
    scene, movie = _strip_scene(media, "Resume")
    movie.toonflow.temporal = True
    movie.toonflow.temporal_strength = 0.5  # a clip key of its own (node_animation cached this movie too)
    total = movie.frame_final_duration
    for s in compat.all_strips(scene):
        s.select = s == movie
    with bpy.context.temp_override(scene=scene):
        bpy.ops.toonflow.cartoonize_strip(stop_after=3)
    tf = movie.toonflow
    assert tf.state.startswith("cancelled"), tf.state
    assert not tf.result_name, "no result strip after a cancel"
    assert tf.frames_done == 3 == cached_frame_count(tf), (tf.frames_done, cached_frame_count(tf))
    job = seq.prepare_job(scene, movie)

    class Slow:  # slows the real engine down so the cancel lands midway
        def __init__(self, inner) -> None:  # noqa: ANN001
            self.inner = inner

        def process(self, frame):  # noqa: ANN001, ANN202
            time.sleep(0.15)
            return self.inner.process(frame)

        def reset(self) -> None:
            self.inner.reset()

        def warmup_frames(self, first: int) -> int:
            return self.inner.warmup_frames(first)

        @property
        def ran_on(self) -> str:
            return self.inner.ran_on

    job.runner.processor = Slow(job.runner.processor)
    cancel_midway(scene, job)
    cached_mid = cached_frame_count(tf)
    assert 3 < cached_mid < total, cached_mid
    # resume: only the missing frames are computed
    job = seq.prepare_job(scene, movie)
    worker.run_job(job)
    seq.finish_job(scene, job)
    assert not job.error, job.error
    assert len(job.result.cached) == cached_mid and len(job.result.computed) == total - cached_mid, \
        (len(job.result.cached), len(job.result.computed))
    assert tf.state == "done" and tf.result_name
    return f"stopped at 3, cancelled at {cached_mid}/{total}, resumed: {len(job.result.computed)} computed, " \
           f"{len(job.result.cached)} from cache, {len(job.result.warmup)} warm-up"


def devices_opened(cli, argv: list[str]) -> list[str]:  # noqa: ANN001
    """The devices the engine was opened with while ``toonflow_command(argv)`` ran (a spy on open_clip and
    open_colorize_clip)."""
    bridge = mod("blender_addon.engine_bridge")
    names = ("open_clip", "open_colorize_clip")
    real = {name: getattr(bridge, name) for name in names}
    devices: list[str] = []

    def spy(name: str):  # noqa: ANN202
        def opened(*a, **kw):  # noqa: ANN002, ANN003, ANN202
            devices.append(kw["device"])
            return real[name](*a, **kw)
        return opened

    for name in names:
        setattr(bridge, name, spy(name))
    try:
        rc = cli.toonflow_command(argv)
    finally:
        for name in names:
            setattr(bridge, name, real[name])
    assert rc == 0, f"{argv}: rc {rc}"
    return devices


def sc_cli(args: argparse.Namespace, media: dict) -> str:
    cli = mod("blender_addon.cli")
    scene, movie = _strip_scene(media, "CLI")
    movie.toonflow.marked = True
    new_effect_strip(scene, "Flat", "COLOR", 6, 10, 4).toonflow.marked = True
    bpy.context.window.scene = scene if bpy.context.window else None
    rc = cli.toonflow_command(["strips", "--scene", scene.name, "--marked"])
    assert rc == 1, f"a marked colour strip must make the run fail, rc {rc}"
    assert movie.toonflow.state == "done", movie.toonflow.state
    rc_usage = cli.toonflow_command(["strips", "--bogus"])
    assert rc_usage == 2, rc_usage
    rc_missing = cli.toonflow_command(["strips", "--scene", scene.name, "--strip", "Nope"])
    assert rc_missing == 1
    out_dir = Path(args.work) / "cli_file"
    rc_file = cli.toonflow_command(["file", media["movie"], "-o", str(out_dir), "--frames", "1-3",
                                    "--model", media["model"]])
    assert rc_file == 0 and len(list(out_dir.glob("*.png"))) == 3, (rc_file, list(out_dir.iterdir()))
    # existing files are never overwritten
    victim = sorted(out_dir.glob("*.png"))[0]
    victim.write_bytes(b"user data")
    assert cli.toonflow_command(["file", media["movie"], "-o", str(out_dir), "--frames", "1-3",
                                 "--model", media["model"]]) == 0
    assert victim.read_bytes() == b"user data"
    save = Path(args.work) / "saved.blend"
    save.write_bytes(b"not a blend")
    rc_save = cli.toonflow_command(["strips", "--scene", scene.name, "--strip", movie.name, "--save", str(save)])
    assert rc_save == 1 and save.read_bytes() == b"not a blend"
    rc_missing_model = cli.toonflow_command(["file", media["movie"], "-o", str(out_dir), "--model", "nope"])
    assert rc_missing_model == 1
    devices = devices_opened(cli, ["strips", "--scene", scene.name, "--strip", movie.name, "--device", "gpu"])
    assert devices == ["gpu"], f"strips --device gpu opened the engine with {devices} (preferences say cpu)"
    assert devices_opened(cli, ["strips", "--scene", scene.name, "--strip", movie.name]) == ["cpu"]
    devices = devices_opened(cli, ["file", media["movie"], "-o", str(Path(args.work) / "cli_gpu"), "--frames", "1",
                                    "--model", media["model"], "--device", "gpu"])
    assert devices == ["gpu"], devices
    assert cli.toonflow_command(["models"]) == 0
    assert cli.toonflow_command(["gpu"]) == 0
    return "strips --marked (colour strip reported, rc 1), usage rc 2, file -> 3 PNGs, no overwrite, " \
           "strips/file --device reach the engine, models, gpu"


def sc_unregister(args: argparse.Namespace, media: dict) -> str:
    bpy.ops.preferences.addon_disable(module=PKG)
    for node_type in ("ToonflowCartoonizeNode", "ToonflowColorizeNode"):
        assert bpy.types.Node.bl_rna_get_subclass_py(node_type) is None, node_type
    for op_type in ("TOONFLOW_OT_cartoonize_strip", "TOONFLOW_OT_colorize_strip", "TOONFLOW_OT_keyframe_add"):
        assert getattr(bpy.types, op_type, None) is None, op_type
    assert not any(getattr(h, "__module__", "").startswith(PKG) for h in bpy.app.handlers.render_pre)
    return "disabled cleanly"


SCENARIOS = {f.__name__[3:]: f for f in (sc_install, sc_model_search, sc_node_still, sc_node_animation,
                                          sc_node_chunks, sc_node_sequence, sc_render_layers, sc_bad_inputs, sc_strip,
                                          sc_strip_cancel_resume, sc_cli, sc_unregister)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zip", required=True)
    ap.add_argument("--media", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("scenarios", nargs="+")
    args = ap.parse_args()
    media = json.loads(args.media)
    Path(args.work).mkdir(parents=True, exist_ok=True)
    if any(name.startswith("colorize") for name in args.scenarios):
        from bpy_colorize_scenarios import SCENARIOS as colorize_scenarios

        SCENARIOS.update(colorize_scenarios)
    for name in args.scenarios:
        t0 = time.perf_counter()
        try:
            detail = SCENARIOS[name](args, media)
            RESULTS[name] = {"ok": True, "detail": detail}
        except Exception as exc:  # noqa: BLE001 - every failure is reported to pytest with its traceback
            RESULTS[name] = {"ok": False, "detail": f"{exc}\n{traceback.format_exc()}"}
        RESULTS[name]["seconds"] = round(time.perf_counter() - t0, 2)
        print(f"[driver] {name}: {'ok' if RESULTS[name]['ok'] else 'FAILED'} ({RESULTS[name]['seconds']}s)",
              flush=True)
        if name == "install" and not RESULTS[name]["ok"]:
            break
    Path(args.out).write_text(json.dumps(RESULTS, indent=1))
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)  # bpy 4.5 hangs at interpreter exit while classes/handlers are registered
