# Toonflow Blender extension targets: include from the main Makefile (`include blender_addon/MAKEFILE_SNIPPET.mk`)
# or merge. Assumes PYTHON ?= .venv/bin/python (the main venv, Python 3.11).
PYTHON ?= .venv/bin/python
BPY_PKGS = numpy==1.26.4 onnxruntime==1.31.1 av==18.1.0 opencv-contrib-python-headless==4.11.0.86 tqdm==4.70.1 pytest onnx

.PHONY: extension extension-all extension-cpu setup-blender test-addon

# The installable zip for this platform (GPU build of onnxruntime on linux/windows x64) -> dist/toonflow-*.zip
extension:
	$(PYTHON) scripts/build_extension.py

extension-all:
	$(PYTHON) scripts/build_extension.py --platform all

extension-cpu:
	$(PYTHON) scripts/build_extension.py --cpu-only

# bpy wheels for the add-on tests (4.5 LTS and 5.0; ~370 MB each; numpy must stay < 2)
setup-blender: .venv-bpy45/bin/python .venv-bpy50/bin/python

.venv-bpy45/bin/python:
	python3.11 -m venv .venv-bpy45
	.venv-bpy45/bin/pip install -q bpy==4.5.15 $(BPY_PKGS)

.venv-bpy50/bin/python:
	python3.11 -m venv .venv-bpy50
	.venv-bpy50/bin/pip install -q bpy==5.0.1 $(BPY_PKGS)

# Runs under the main venv; spawns the bpy venvs' pythons (skips with a reason when a bpy venv is missing).
# `python -m pytest` (not the pytest script) so the repository root is on sys.path for `import blender_addon`.
test-addon:
	$(PYTHON) -m pytest tests/addon -q
