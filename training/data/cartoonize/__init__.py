"""The cartoonization data: the bootstrap build of photos / cartoons / video clips (``python -m training bootstrap``),
the distillation targets and flows built on top of it (``bootstrap-distill``), and the torch datasets that read
both."""
