"""A teacher style: the parameters of the classical cartoon abstraction that a shipped cartoonizer learns.

Each named style gives one shipped model (and its lite twin). The values are in pixels of the training images
(short side 256-384), which is also the scale the student is benchmarked at (640 px wide).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from engine.ink_lines import InkLinesParams
from engine.tone_steps import ToneStepsParams

__all__ = ["TeacherStyle", "TEACHER_STYLES", "get_style", "bootstrap_arguments"]


@dataclass(frozen=True)
class TeacherStyle:
    """One cartoon look, made of four library operators applied in order (training/teacher/abstraction.py)."""

    name: str
    description: str  # one line, shown by `toonflow models` through the model card
    # Edge-preserving flattening: L0 gradient minimisation (cv2.ximgproc.l0Smooth). Larger lambda: fewer, larger
    # flat regions. kappa is the solver's continuation rate (OpenCV's default 2).
    l0_lambda: float = 0.015
    l0_kappa: float = 2.0
    # A median filter after L0 removes the isolated specks L0 keeps on fine texture (grass, foliage); 0: off.
    median_size: int = 3
    # Soft luminance quantization (Winnemoller et al. 2006): `levels` bins over lightness 0..100, each step a tanh
    # of this sharpness (per lightness unit): soft steps flicker less than a hard posterize when a pixel drifts;
    # 0: no steps.
    levels: int = 10
    quantize_sharpness: float = 0.35
    saturation: float = 1.3  # chroma gain in CIELAB after flattening
    # XDoG ink lines (Winnemoller et al. 2012) on the flattened lightness: Gaussian sigma, the second Gaussian's
    # ratio k, sharpening p, threshold epsilon and tanh slope phi; `line_width` dilates the lines (1 = as found).
    ink_sigma: float = 0.8
    ink_k: float = 1.6
    ink_p: float = 20.0
    ink_epsilon: float = 0.02
    ink_phi: float = 40.0
    line_width: int = 1
    ink_strength: float = 0.85  # how dark a full line is (1: black)

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)

    def ink_lines(self) -> InkLinesParams:
        """The style's XDoG ink as the engine's operator takes it (the engine draws it for models that leave the
        ink to it)."""
        return InkLinesParams(sigma=self.ink_sigma, k=self.ink_k, p=self.ink_p, epsilon=self.ink_epsilon,
                              phi=self.ink_phi, line_width=self.line_width, strength=self.ink_strength)

    def tone_steps(self) -> ToneStepsParams:
        """The style's tone steps and chroma lift as the engine's operator takes them."""
        return ToneStepsParams(levels=self.levels, sharpness=self.quantize_sharpness, saturation=self.saturation)

    def without_ink(self) -> TeacherStyle:
        """The same look before its ink lines (``<name>_noink``): the targets of a student whose ink the engine
        draws."""
        return replace(self, name=f"{self.name}_noink", ink_strength=0.0)

    def flat_only(self) -> TeacherStyle:
        """The same look before its tone steps, chroma lift and ink lines (``<name>_flat``): only the flattening, the
        targets of a student that leaves the rest to the engine."""
        return replace(self, name=f"{self.name}_flat", levels=0, saturation=1.0, ink_strength=0.0)

    def unlifted(self) -> TeacherStyle:
        """The same look without its chroma lift (``<name>_unlifted``): the targets of a student that draws the steps
        and lines itself and leaves the chroma gain to the engine (the lift commutes with the ink to ~51 dB)."""
        return replace(self, name=f"{self.name}_unlifted", saturation=1.0)

    def chroma_lift_only(self) -> TeacherStyle:
        """The part of the look the engine draws for a :meth:`unlifted` student: the chroma lift, no steps, no ink."""
        return replace(self, name=f"{self.name}_chroma", levels=0, ink_strength=0.0)

    def student_targets(self, *, tones_in_engine: bool, ink_in_engine: bool,
                        chroma_in_engine: bool = False) -> TeacherStyle:
        """The variant a student regresses: :meth:`flat_only` when the engine draws the tone steps (and the lines),
        :meth:`without_ink` when it draws only the lines, :meth:`unlifted` when it only lifts the chroma, else the
        style itself."""
        if tones_in_engine:
            return self.flat_only()
        if ink_in_engine:
            return self.without_ink()
        return self.unlifted() if chroma_in_engine else self


#: The shipped styles. `cel` is the default look.
TEACHER_STYLES: dict[str, TeacherStyle] = {
    style.name: style
    for style in (
        # Flattening and median of session 24's bold probe with the original 10 soft tone levels: flatter than the
        # first cel preset (L0 0.015, median 3, x1.3, ink sigma 0.8), while its soft steps stay learnable
        # (docs/TRAINING.md, "A bolder cel (session 25)"). Chroma x2.2 (x1.7 until session 31): the students learn
        # a chroma lift as well as their teacher draws it, where they draw its tone steps and ink fainter
        # (docs/TRAINING.md, "A more colourful cel (session 31)").
        TeacherStyle(
            name="cel",
            description="clean flat cel look: broad flat colour regions in soft tone steps, vivid colour, "
                        "thin dark outlines",
            l0_lambda=0.03,
            median_size=5,
            saturation=2.2,
            ink_sigma=1.0,
        ),
        TeacherStyle(
            name="comic",
            description="bold ink comic look: large flat areas in few tones, strong colour, heavy black lines",
            l0_lambda=0.03,
            median_size=5,
            levels=6,
            quantize_sharpness=0.5,
            saturation=1.5,
            ink_sigma=1.0,
            ink_epsilon=0.01,
            ink_p=25.0,
            line_width=2,
            ink_strength=1.0,
        ),
    )
}


def get_style(name: str) -> TeacherStyle:
    """A shipped style by name; ValueError naming the choices otherwise."""
    try:
        return TEACHER_STYLES[name]
    except KeyError:
        raise ValueError(f"unknown teacher style {name!r}; choose from {sorted(TEACHER_STYLES)}") from None


def bootstrap_arguments(targets: str) -> str:
    """The ``bootstrap-distill`` arguments that build the targets folder `targets` (a style's name, or the name of
    its ink-free, flattened or unlifted variant)."""
    for name, style in TEACHER_STYLES.items():
        if targets == style.without_ink().name:
            return f"--style {name} --without-ink"
        if targets == style.flat_only().name:
            return f"--style {name} --flat-only"
        if targets == style.unlifted().name:
            return f"--style {name} --unlifted"
    return f"--style {targets}"
