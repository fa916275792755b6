"""The line-art colorization data: the build of colour / line-art shots (``python -m training bootstrap-colorize``),
its line-art extractors, and the torch dataset of (reference, target) pairs that reads it."""
