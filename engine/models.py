"""Model discovery and model cards (see docs/MODEL_FORMAT.md).

A model is an ONNX file with a JSON card beside it (same stem). Models are searched, in this order, in the
``extra_dirs`` passed by the caller, in the folders listed in the environment variable ``TOONFLOW_MODEL_PATH``
(separated by ``os.pathsep``) and in the package's own ``weights/`` folder. When two folders hold a model with the
same name, the first one found wins (so a user's folder can override a shipped model); a warning is logged.
Nothing is scanned at import time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from .errors import ModelError
from .ink_lines import InkLinesParams
from .reference_alignment import REFERENCE_ALIGNMENTS
from .tone_steps import ToneStepsParams

__all__ = [
    "ModelCard",
    "GuidedFilterParams",
    "RegionFlattenParams",
    "Int8Variant",
    "INT8_SUFFIX",
    "MIN_INT8_SPEEDUP",
    "DEFAULT_MODELS",
    "WEIGHTS_DIR",
    "MODEL_PATH_ENV",
    "find_models",
    "is_default_model",
    "model_line",
    "resolve_model",
    "load_card",
    "verify_model_file",
    "verify_file",
    "COLORIZE_INPUTS",
    "COLORIZE_OUTPUT",
]

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MODEL_PATH_ENV = "TOONFLOW_MODEL_PATH"
DEFAULT_MODELS: Mapping[str, str] = {"cartoonize": "cel", "colorize": "lcmftn"}
KNOWN_TASKS = ("cartoonize", "colorize")
SUPPORTED_FORMAT_VERSIONS = (1,)
#: graph inputs and output of a colorize model (docs/MODEL_FORMAT.md)
COLORIZE_INPUTS = ("sketch", "reference_sketch", "reference_color")
COLORIZE_OUTPUT = "color"
#: file name ending of a model's int8 copy (``cel.int8.onnx`` beside ``cel.onnx``); not a model of its own
INT8_SUFFIX = ".int8.onnx"
#: the measured CPU speed-up (fp32 seconds / int8 seconds) below which ``auto`` keeps fp32: a gain within the
#: timing noise is not worth the int8 quality cost. Repeated measurements of the lite cartoonizers on the shared
#: 2-core machine spread over x1.06-1.16 (CPU-time ratio a steady x1.14); a model that is not faster lands below.
MIN_INT8_SPEEDUP = 1.05
#: post-filters a cartoonize card's ``postprocess`` may name, in the order the engine applies them
POSTPROCESS_STEPS = ("guided_filter", "region_flatten", "tone_steps", "ink_lines")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class GuidedFilterParams:
    """White-box post-filter: guided filter of the output with the input as guide."""

    radius: int
    eps: float


@dataclass(frozen=True)
class RegionFlattenParams:
    """Distilled cartoonizers' post-filter (:func:`engine.region_flatten.flatten_regions`): how far colour spreads
    inside a region of the output (pixels) and the colour step (in [0, 1]) that stops it."""

    sigma_spatial: float
    sigma_color: float


@dataclass(frozen=True)
class Int8Variant:
    """The card's ``int8`` section: a statically quantized copy of the model for CPUs (``training/quantize.py``).

    ``path`` is ``None`` when the model was quantized and measured but its int8 form failed the quality target, so
    no file ships (the card keeps the numbers that say why). ``cpu_speedup`` is fp32 seconds / int8 seconds measured
    side by side on the quantizing machine; int8 is only chosen automatically when it is both good and faster.
    """

    path: Path | None
    sha256: str
    quality_held: bool
    cpu_speedup: float

    @property
    def preferred_on_cpu(self) -> bool:
        """True when ``precision="auto"`` should run this file on the CPU: shipped, quality held, and faster."""
        return self.path is not None and self.quality_held and self.cpu_speedup >= MIN_INT8_SPEEDUP


@dataclass(frozen=True)
class ModelCard:
    """A parsed and validated model card, plus the location of its ONNX file.

    Only the fields the engine needs are typed attributes; everything else in the JSON stays in ``raw``.
    ``input_names`` / ``output_names`` list every graph input / output (multi-input models such as colorize give
    them in the card; single-input cards give only ``input_name`` / ``output_name`` and these hold that one name).
    ``max_side`` is the longest side the engine feeds the network (0: no limit). ``reference_alignment``
    (colorize): how the engine aligns references before the network, one of
    :data:`engine.reference_alignment.REFERENCE_ALIGNMENTS`.
    """

    name: str
    task: str
    onnx_path: Path
    card_path: Path
    input_name: str
    output_name: str
    channels_in: int
    channels_out: int
    value_range: tuple[float, float]
    size_multiple: int
    sha256: str
    format_version: int = 1
    architecture: str = ""
    supports_fp16: bool = False
    supports_tiling: bool = False
    tile_overlap: int = 0
    guided_filter: GuidedFilterParams | None = None
    region_flatten: RegionFlattenParams | None = None
    tone_steps: ToneStepsParams | None = None
    ink_lines: InkLinesParams | None = None
    recipe: str = ""
    description: str = ""
    training_steps: int | None = None
    licence: str = ""
    attributions: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    max_side: int = 0
    reference_alignment: str = "none"
    int8: Int8Variant | None = None

    def __post_init__(self) -> None:
        if not self.input_names:
            object.__setattr__(self, "input_names", (self.input_name,))
        if not self.output_names:
            object.__setattr__(self, "output_names", (self.output_name,))


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], card_path: Path,
           default: Any = ..., allow_none: bool = False) -> Any:
    if key not in data:
        if default is ...:
            raise ModelError(f"{card_path}: model card lacks the required field '{key}' (see docs/MODEL_FORMAT.md); "
                             "re-export the model with training/export.py")
        return default
    value = data[key]
    if value is None and allow_none:
        return None
    # bool is a subclass of int: do not accept true/false where a number is expected.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ModelError(f"{card_path}: model card field '{key}' must be {names}, got {value!r}; "
                         "fix the card or re-export the model")
    return value


def _io_names(data: Mapping[str, Any], card_path: Path, plural: str, singular: str) -> tuple[str, tuple[str, ...]]:
    """``(first name, all names)`` from ``input_names`` (list) or, for single-input cards, ``input_name``."""
    if plural not in data:
        name = _field(data, singular, str, card_path)
        return name, (name,)
    names = _field(data, plural, list, card_path)
    if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise ModelError(f"{card_path}: model card field '{plural}' must be a non-empty list of distinct names, "
                         f"got {names!r}; fix the card or re-export the model")
    name = _field(data, singular, str, card_path, names[0])
    if name not in names:
        raise ModelError(f"{card_path}: model card field '{singular}' {name!r} is not one of '{plural}' {names!r}")
    return name, tuple(names)


def _filter_params(post: dict, step: str, params_type: type, card_path: Path) -> Any:
    """A post-filter's parameters from the card's ``postprocess.<step>`` object: every field of the frozen dataclass
    `params_type` required (an ``int`` field takes integers only, a ``float`` field any number), then checked by its
    ``validate()``."""
    section = post[step]
    names = [spec.name for spec in fields(params_type)]
    types = get_type_hints(params_type)  # the fields' annotations are strings (postponed evaluation)
    if not isinstance(section, dict):
        raise ModelError(f"{card_path}: postprocess.{step} must be an object with {', '.join(names[:-1])} and "
                         f"{names[-1]}")
    values = {name: _field(section, name, int, card_path) if types[name] is int
              else float(_field(section, name, (int, float), card_path)) for name in names}
    params = params_type(**values)
    try:
        params.validate()
    except ValueError as error:
        raise ModelError(f"{card_path}: postprocess.{step}: {error}") from None
    return params


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


def _parse_int8(data: Mapping[str, Any], card_path: Path) -> Int8Variant | None:
    """The optional ``int8`` section (docs/MODEL_FORMAT.md); ``None`` when absent."""
    section = _field(data, "int8", dict, card_path, None, allow_none=True)
    if section is None:
        return None
    fix = "re-run `python -m training quantize` for this model or delete the card's int8 section"
    held = _field(section, "quality_held", bool, card_path)
    speedup = _field(section, "cpu_speedup", (int, float), card_path)
    file_name = _field(section, "file", str, card_path, None, allow_none=True)
    if file_name is None:
        return Int8Variant(path=None, sha256="", quality_held=held, cpu_speedup=float(speedup))
    if Path(file_name).name != file_name or not file_name.endswith(INT8_SUFFIX):
        raise ModelError(f"{card_path}: int8.file must be a file name ending in {INT8_SUFFIX} beside the card, "
                         f"got {file_name!r}; {fix}")
    sha = _field(section, "sha256", str, card_path).lower()
    if not _is_sha256(sha):
        raise ModelError(f"{card_path}: int8.sha256 is not a SHA-256 hex digest: {sha!r}; {fix}")
    return Int8Variant(path=card_path.parent / file_name, sha256=sha, quality_held=held, cpu_speedup=float(speedup))


def _parse_card(data: Any, card_path: Path, onnx_path: Path) -> ModelCard:
    if not isinstance(data, dict):
        raise ModelError(f"{card_path}: model card must be a JSON object, got {type(data).__name__}")
    fv = _field(data, "format_version", int, card_path)
    if fv not in SUPPORTED_FORMAT_VERSIONS:
        raise ModelError(f"{card_path}: model card format_version {fv} is not supported by this engine "
                         f"(supported: {SUPPORTED_FORMAT_VERSIONS}); update Toonflow")
    name = _field(data, "name", str, card_path)
    task = _field(data, "task", str, card_path)
    if not name:
        raise ModelError(f"{card_path}: model card field 'name' is empty")
    vr = _field(data, "value_range", list, card_path)
    if len(vr) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vr):
        raise ModelError(f"{card_path}: model card field 'value_range' must be [low, high], got {vr!r}")
    size_multiple = _field(data, "size_multiple", int, card_path)
    if size_multiple < 1:
        raise ModelError(f"{card_path}: model card field 'size_multiple' must be >= 1, got {size_multiple}")
    tile_overlap = _field(data, "tile_overlap", int, card_path, 0)
    if tile_overlap < 0:
        raise ModelError(f"{card_path}: model card field 'tile_overlap' must be >= 0, got {tile_overlap}")
    sha = _field(data, "sha256", str, card_path).lower()
    if not _is_sha256(sha):
        raise ModelError(f"{card_path}: model card field 'sha256' is not a SHA-256 hex digest: {sha!r}")

    gf = None
    flatten = None
    tones = None
    ink = None
    post = _field(data, "postprocess", dict, card_path, None, allow_none=True)
    if post:
        for key in post:
            if key not in POSTPROCESS_STEPS:
                log.warning("%s: unknown postprocess step %r ignored", card_path, key)
        if "guided_filter" in post:
            g = post["guided_filter"]
            if not isinstance(g, dict):
                raise ModelError(f"{card_path}: postprocess.guided_filter must be an object with radius and eps")
            radius = _field(g, "radius", int, card_path)
            eps = _field(g, "eps", (int, float), card_path)
            if radius < 1 or eps <= 0:
                raise ModelError(f"{card_path}: postprocess.guided_filter needs radius >= 1 and eps > 0, "
                                 f"got radius={radius}, eps={eps}")
            gf = GuidedFilterParams(radius=radius, eps=float(eps))
        if "region_flatten" in post:
            r = post["region_flatten"]
            if not isinstance(r, dict):
                raise ModelError(f"{card_path}: postprocess.region_flatten must be an object with sigma_spatial "
                                 "and sigma_color")
            sigma_spatial = _field(r, "sigma_spatial", (int, float), card_path)
            sigma_color = _field(r, "sigma_color", (int, float), card_path)
            if sigma_spatial <= 0 or not 0 < sigma_color <= 1:
                raise ModelError(f"{card_path}: postprocess.region_flatten needs sigma_spatial > 0 and sigma_color "
                                 f"in (0, 1], got sigma_spatial={sigma_spatial}, sigma_color={sigma_color}")
            flatten = RegionFlattenParams(sigma_spatial=float(sigma_spatial), sigma_color=float(sigma_color))
        if "tone_steps" in post:
            tones = _filter_params(post, "tone_steps", ToneStepsParams, card_path)
        if "ink_lines" in post:
            ink = _filter_params(post, "ink_lines", InkLinesParams, card_path)

    input_name, input_names = _io_names(data, card_path, "input_names", "input_name")
    output_name, output_names = _io_names(data, card_path, "output_names", "output_name")
    max_side = _field(data, "max_side", int, card_path, 0, allow_none=True) or 0
    if max_side < 0 or 0 < max_side < size_multiple:
        raise ModelError(f"{card_path}: model card field 'max_side' must be 0 (no limit) or at least the size "
                         f"multiple {size_multiple}, got {max_side}")

    alignment = _field(data, "reference_alignment", str, card_path, "none")
    if alignment not in REFERENCE_ALIGNMENTS:
        raise ModelError(f"{card_path}: model card field 'reference_alignment' must be one of "
                         f"{', '.join(REFERENCE_ALIGNMENTS)}, got {alignment!r}")

    training = _field(data, "training", dict, card_path, {}, allow_none=True) or {}
    steps = training.get("steps")
    attributions = _field(data, "attributions", list, card_path, [])
    return ModelCard(
        name=name,
        task=task,
        onnx_path=onnx_path,
        card_path=card_path,
        input_name=input_name,
        output_name=output_name,
        channels_in=_field(data, "channels_in", int, card_path),
        channels_out=_field(data, "channels_out", int, card_path),
        value_range=(float(vr[0]), float(vr[1])),
        size_multiple=size_multiple,
        sha256=sha,
        format_version=fv,
        architecture=_field(data, "architecture", str, card_path, ""),
        supports_fp16=_field(data, "supports_fp16", bool, card_path, False),
        supports_tiling=_field(data, "supports_tiling", bool, card_path, False),
        tile_overlap=tile_overlap,
        guided_filter=gf,
        region_flatten=flatten,
        tone_steps=tones,
        ink_lines=ink,
        recipe=_field(data, "recipe", str, card_path, ""),
        description=_field(data, "description", str, card_path, ""),
        training_steps=steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
        licence=_field(data, "licence", str, card_path, ""),
        attributions=tuple(str(a) for a in attributions),
        raw=data,
        input_names=input_names,
        output_names=output_names,
        max_side=max_side,
        reference_alignment=alignment,
        int8=_parse_int8(data, card_path),
    )


def load_card(onnx_path: PathLike) -> ModelCard:
    """Read and validate the JSON card beside ``onnx_path`` (does not hash the ONNX file).

    Raises:
        ModelError: ONNX file or card missing, card not JSON or missing/invalid fields.
    """
    onnx_path = Path(onnx_path)
    if onnx_path.name.endswith(INT8_SUFFIX):
        full = onnx_path.name[:-len(INT8_SUFFIX)] + ".onnx"
        raise ModelError(f"{onnx_path}: this is the int8 copy of {full}, not a model of its own; pass {full} "
                         "(the engine runs the int8 copy on the CPU by itself, or when asked with precision int8)")
    if not onnx_path.is_file():
        raise ModelError(f"{onnx_path}: model file not found; run 'toonflow models' to list installed models")
    card_path = onnx_path.with_suffix(".json")
    if not card_path.is_file():
        raise ModelError(f"{onnx_path}: no model card {card_path.name} beside it; every model needs its JSON card "
                         "(docs/MODEL_FORMAT.md), re-export it with training/export.py")
    try:
        text = card_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{card_path}: cannot read model card: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card_path}: model card is not valid JSON ({exc}); re-export the model") from exc
    return _parse_card(data, card_path, onnx_path)


_hash_cache: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file (cached by path, size and mtime); what model cards record and the engine checks."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    _hash_cache[key] = digest
    return digest


def verify_model_file(card: ModelCard) -> None:
    """Check that the ONNX file matches the card's SHA-256 and looks like an ONNX protobuf.

    Raises:
        ModelError: hash mismatch (corrupt or replaced file) or not an ONNX file.
    """
    verify_file(card.onnx_path, card.sha256)


def verify_file(path: Path, sha256: str) -> None:
    """Check that an ONNX file (a model or its int8 copy) exists, matches ``sha256`` and looks like ONNX.

    Raises:
        ModelError: file missing or unreadable, hash mismatch (corrupt or replaced file) or not an ONNX file.
    """
    if not path.is_file():
        raise ModelError(f"{path}: model file not found; reinstall the model or re-export it")
    try:
        digest = file_sha256(path)
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc}") from exc
    if digest != sha256:
        raise ModelError(f"{path}: model file is corrupt or was replaced (SHA-256 {digest[:12]}... does not match "
                         f"the card's {sha256[:12]}...); reinstall or re-export the model")
    # An ONNX ModelProto starts with a protobuf field tag: 0x08 (ir_version, varint) in every exporter we know.
    if not head or head[0] not in (0x08, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42):
        raise ModelError(f"{path}: not an ONNX model file (unexpected header); reinstall or re-export the model")


def _search_dirs(extra_dirs: Iterable[PathLike]) -> list[Path]:
    dirs: list[Path] = [Path(d) for d in extra_dirs]
    env = os.environ.get(MODEL_PATH_ENV, "")
    dirs.extend(Path(d) for d in env.split(os.pathsep) if d.strip())
    dirs.append(WEIGHTS_DIR)
    unique: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        try:
            key = d.expanduser().resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): find_models skips it
            key = d.expanduser().absolute()
        if key not in seen:
            seen.add(key)
            unique.append(d.expanduser())
    return unique


def find_models(extra_dirs: Sequence[PathLike] = (), task: str | None = None) -> list[ModelCard]:
    """List the installed models (cards that parse), in search order, optionally only those for ``task``.

    Models whose card is missing or broken are skipped with a logged warning. Hashes are not checked here
    (that happens in :func:`resolve_model`).
    """
    cards: list[ModelCard] = []
    names: dict[str, Path] = {}
    for d in _search_dirs(extra_dirs):
        if not d.is_dir():
            if d != WEIGHTS_DIR:
                log.warning("model folder %s does not exist or is not a readable folder; skipped", d)
            continue
        for onnx_path in sorted(d.glob("*.onnx")):
            if onnx_path.name.endswith(INT8_SUFFIX):  # a model's int8 copy, described by that model's card
                continue
            try:
                card = load_card(onnx_path)
            except ModelError as exc:
                log.warning("skipped model: %s", exc)
                continue
            if task is not None and card.task != task:
                continue
            if card.name in names:
                log.warning("model name %r in %s is shadowed by %s", card.name, onnx_path, names[card.name])
                continue
            names[card.name] = onnx_path
            cards.append(card)
    return cards


def _check_task(card: ModelCard, task: str) -> None:
    if card.task != task:
        raise ModelError(f"{card.onnx_path}: model '{card.name}' is a {card.task!r} model, not a {task!r} model; "
                         f"pick a {task} model (see 'toonflow models')")


def _check_contract(card: ModelCard) -> None:
    if card.task == "cartoonize":
        if card.channels_in != 3 or card.channels_out != 3:
            raise ModelError(f"{card.card_path}: a cartoonize model must have 3 input and 3 output channels, "
                             f"the card says {card.channels_in} -> {card.channels_out}")
        if card.value_range != (-1.0, 1.0):
            raise ModelError(f"{card.card_path}: a cartoonize model must use value_range [-1, 1], "
                             f"the card says {list(card.value_range)}")
    elif card.task == "colorize":
        missing = [n for n in COLORIZE_INPUTS if n not in card.input_names]
        if missing or COLORIZE_OUTPUT not in card.output_names:
            raise ModelError(f"{card.card_path}: a colorize model needs the inputs {list(COLORIZE_INPUTS)} and the "
                             f"output {COLORIZE_OUTPUT!r}, the card lists {list(card.input_names)} -> "
                             f"{list(card.output_names)}; re-export the model")
        if card.value_range != (-1.0, 1.0):
            raise ModelError(f"{card.card_path}: a colorize model must use value_range [-1, 1], "
                             f"the card says {list(card.value_range)}")


def resolve_model(name_or_path: PathLike | None, task: str, extra_dirs: Sequence[PathLike] = ()) -> ModelCard:
    """Find a model by name (or take an explicit ``.onnx`` path), validate its card, hash and task.

    Args:
        name_or_path: a model name such as ``"cel"``, a path to an ``.onnx`` file (or its ``.json`` card),
            or ``None`` for the task's default model.
        task: the task the caller needs, e.g. ``"cartoonize"``.
        extra_dirs: more folders to search, before ``TOONFLOW_MODEL_PATH`` and the shipped weights.

    Raises:
        ModelError: not found, card missing or malformed, file corrupt, or a model for another task.
    """
    if task not in KNOWN_TASKS:
        raise ModelError(f"unknown task {task!r}; known tasks: {', '.join(KNOWN_TASKS)}")
    if name_or_path is None or str(name_or_path) == "":
        if task not in DEFAULT_MODELS:
            raise ModelError(f"there is no default {task} model; pass one with --model")
        name_or_path = DEFAULT_MODELS[task]
    text = os.fspath(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or text.endswith((".onnx", ".json"))
        or os.sep in text
        or (os.altsep is not None and os.altsep in text)
    )
    if looks_like_path:
        path = Path(text).expanduser()
        if path.suffix == ".json":
            path = path.with_suffix(".onnx")
        card = load_card(path)
    else:
        cards = find_models(extra_dirs)
        matches = [c for c in cards if c.name == text]
        if not matches:
            available = sorted({c.name for c in cards if c.task == task})
            hint = f"installed {task} models: {', '.join(available)}" if available else \
                f"no {task} models are installed (put .onnx + .json files in {WEIGHTS_DIR} or a folder " \
                f"listed in {MODEL_PATH_ENV})"
            raise ModelError(f"model {text!r} not found; {hint}")
        card = matches[0]
    _check_task(card, task)
    _check_contract(card)
    verify_model_file(card)
    return card


def is_default_model(card: ModelCard) -> bool:
    """True for the model its task uses when none is named."""
    return DEFAULT_MODELS.get(card.task) == card.name


def model_line(card: ModelCard) -> str:
    """One line that describes an installed model: ``cel (cartoonize, default): clean flat cel look ...``."""
    default = ", default" if is_default_model(card) else ""
    return f"{card.name} ({card.task}{default}): {' '.join(card.description.split()) or '-'}"
