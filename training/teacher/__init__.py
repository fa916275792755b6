"""The classical cartoon abstraction (teacher) whose look the shipped cartoonizers learn, and its named styles."""
from .abstraction import cartoon_abstraction, soft_quantize, xdog_lines
from .style import TEACHER_STYLES, TeacherStyle, get_style

__all__ = ["TEACHER_STYLES", "TeacherStyle", "cartoon_abstraction", "get_style", "soft_quantize", "xdog_lines"]
