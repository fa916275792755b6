"""Training data, one package per task (``cartoonize``, ``colorize``), and what both builds share: media files, the
offline package catalogue, the clip-art filter, the synfig reader, the split rule and the resumable-part markers."""
