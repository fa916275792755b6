"""The classical cartoon abstraction (teacher) whose look the shipped cartoonizers learn, and its named styles."""
from .abstraction import cartoon_abstraction, finish_flat_frame, flat_frame
from .style import TEACHER_STYLES, TeacherStyle, bootstrap_arguments, get_style

__all__ = ["TEACHER_STYLES", "TeacherStyle", "bootstrap_arguments", "cartoon_abstraction", "finish_flat_frame",
           "flat_frame", "get_style"]
