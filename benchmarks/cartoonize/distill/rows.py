"""The rows of the distillation benchmark and the models behind them.

- `source`: the input frames;
- `teacher:<style>`: the classical cartoon abstraction (`training.teacher`) per frame, for each style a student
  is tied to;
- each student (a distilled model, `NAME=PATH[:STYLE]`) through `engine.Cartoonizer`, and `<name>+stabiliser`
  with the engine's temporal stabiliser;
- reference models (the old `pmc`): rows without a teacher and without targets.

A student named `<full>_lite` is the lite (narrower) twin of the student `<full>`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ModelError
from engine.models import load_card
from training.teacher import TEACHER_STYLES, TeacherStyle, cartoon_abstraction, get_style

from ..methods import Method, make_cartoonizer, model_method, source_method

__all__ = ["LITE_SUFFIX", "DEFAULT_STUDENTS", "DEFAULT_REFERENCES", "Student", "Row", "teacher_key", "card_style",
           "parse_students", "default_students", "teacher_method", "build_rows"]

log = logging.getLogger(__name__)

LITE_SUFFIX = "_lite"
#: The shipped students (`--students` default); files that do not exist yet are skipped with a warning.
DEFAULT_STUDENTS = ("cel=engine/weights/cel.onnx:cel", "cel_lite=engine/weights/cel_lite.onnx:cel",
                    "comic=engine/weights/comic.onnx:comic", "comic_lite=engine/weights/comic_lite.onnx:comic")
#: The reference rows (`--references` default): the model the students replace.
DEFAULT_REFERENCES = ("pmc=benchmarks/cartoonize/models/pmc.onnx",)


@dataclass(frozen=True)
class Student:
    """A distilled model and the teacher style it learned."""

    name: str
    path: Path
    style: str

    @property
    def lite(self) -> bool:
        return self.name.endswith(LITE_SUFFIX)

    @property
    def full_name(self) -> str | None:
        """The name of the full model this is the lite twin of (None for a full model)."""
        return self.name[: -len(LITE_SUFFIX)] if self.lite else None


@dataclass(frozen=True)
class Row:
    """One row: its kind (`source`, `teacher`, `student`, `reference`), its teacher style (teacher and student
    rows), the model it runs (student and reference rows), whether the engine's stabiliser is on, and whether the
    student is a lite model."""

    key: str
    kind: str
    style: str | None = None
    model: str | None = None
    stabilised: bool = False
    lite: bool = False


def teacher_key(style: str) -> str:
    """The row key of a teacher style (`teacher:cel`)."""
    return f"teacher:{style}"


def card_style(path: Path) -> str | None:
    """The teacher style recorded in a model card (`training.config.style`: a name, or an object with `name`)."""
    config = ((load_card(path).raw.get("training") or {}).get("config") or {})
    style = config.get("style") if isinstance(config, Mapping) else None
    if isinstance(style, Mapping):
        style = style.get("name")
    return style if isinstance(style, str) else None


def _parse_student(value: str, styles: Sequence[str]) -> Student:
    name, sep, rest = value.partition("=")
    if not sep or not name or not rest:
        raise SystemExit(f"--students expects NAME=PATH[:STYLE], got {value!r}")
    path_text, colon, style = rest.rpartition(":")
    if not colon or style not in styles:
        path_text, style = rest, ""
    path = Path(path_text)
    if not path.is_file():
        raise SystemExit(f"--students {name}: file not found: {path}")
    try:
        from_card = card_style(path)
    except ModelError as exc:
        raise SystemExit(f"--students {name}: {exc}") from None
    if not style:
        if from_card is None:
            raise SystemExit(f"--students {name}: no style given (NAME=PATH:STYLE, one of {', '.join(styles)}) and "
                             f"none in the card's training.config.style")
        style = from_card
    elif from_card is not None and from_card != style:
        log.warning("student %s is compared with teacher %r but its card says %r", name, style, from_card)
    if style not in styles:
        raise SystemExit(f"--students {name}: unknown style {style!r}; choose from {', '.join(styles)}")
    return Student(name, path, style)


def parse_students(values: Sequence[str]) -> dict[str, Student]:
    """`NAME=PATH[:STYLE]` values as students; the style defaults to the card's `training.config.style`."""
    styles = list(TEACHER_STYLES)
    students: dict[str, Student] = {}
    for value in values:
        student = _parse_student(value, styles)
        if student.name in students:
            raise SystemExit(f"--students: {student.name!r} given twice")
        students[student.name] = student
    return students


def default_students() -> dict[str, Student]:
    """`DEFAULT_STUDENTS` whose files exist (a warning for each missing one)."""
    present = []
    for value in DEFAULT_STUDENTS:
        path = value.partition("=")[2].rpartition(":")[0]
        if Path(path).is_file():
            present.append(value)
        else:
            log.warning("default student %s not found; its rows are left out", path)
    return parse_students(present)


def _teach(frames: list[np.ndarray], style: TeacherStyle) -> list[np.ndarray]:
    return [cartoon_abstraction(f, style) for f in frames]


def teacher_method(style_name: str) -> Method:
    """The teacher style as a row: `training.teacher.cartoon_abstraction` on every frame, independently."""
    style = get_style(style_name)
    return Method(teacher_key(style_name), f"teacher {style_name} (classical abstraction, per frame)",
                  lambda frames: _teach(frames, style), lambda image: _teach([image], style)[0])


def build_rows(students: Mapping[str, Student], references: Mapping[str, Path], *,
               factory: Callable[..., Any] = make_cartoonizer) -> list[tuple[Row, Method]]:
    """Rows in run order: source; per style (in `TEACHER_STYLES` order) its teacher, then each student (full before
    lite) and its stabilised row; then the references. Teachers run before their students on every clip, so the
    students' frames can be compared with the teacher's."""
    rows: list[tuple[Row, Method]] = [(Row("source", "source"), source_method())]
    for style in TEACHER_STYLES:
        tied = sorted((s for s in students.values() if s.style == style), key=lambda s: (s.full_name or s.name,
                                                                                          s.lite))
        if not tied:
            continue
        rows.append((Row(teacher_key(style), "teacher", style=style), teacher_method(style)))
        for student in tied:
            for stabilised in (False, True):
                method = model_method(student.name, student.path, temporal=stabilised, factory=factory)
                rows.append((Row(method.key, "student", style, student.name, stabilised, student.lite), method))
    for name, path in references.items():
        method = model_method(name, path, factory=factory)
        rows.append((Row(method.key, "reference", model=name), method))
    return rows
