# xxgk — two commands set up everything on a machine that has python3:  make build && make test
# The interpreter the environment is made from: the system's python3 where it is 3.11 or newer
# and can make a venv and build C modules (a distribution builds it with profile-guided
# optimisation, libpython linked into the binary: a cold build's workers took 0.94 of the CPU
# they took on pyenv's 3.11.7, built --enable-shared without it), else python3 on the PATH.
# `make build PY=/path/to/python3.x` chooses another; a change of interpreter makes a new .venv.
SYSTEM_PY := /usr/bin/python3
USABLE    := import ensurepip, os, sys, sysconfig; \
  sys.exit(sys.version_info < (3, 11) or not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))
ifeq ($(origin PY),undefined)
PY        := $(shell $(SYSTEM_PY) -c '$(USABLE)' 2>/dev/null && echo $(SYSTEM_PY) || echo python3)
endif
PY_EXE    := $(shell $(PY) -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)
VENV      := .venv
BIN       := $(VENV)/bin
NATIVE    := $(wildcard pipeline/*.c pipeline/*/*.c) setup.py $(shell $(PY) pipeline/compiled.py)
STAMP     := $(VENV)/.installed-$(shell (cat pyproject.toml constraints.txt $(NATIVE); echo $(PY_EXE)) | cksum | cut -d' ' -f1)
RAW       ?= data/raw
WAREHOUSE ?= data/warehouse
JOBS      ?=

.PHONY: build test lint clean env install-timer bench bench-ab profile roundtrip roundtrip-published fuzz pdf-printers

env: $(STAMP)

# C modules, and the Python modules compiled with Cython (pipeline/compiled.py), are built by
# the install: a change to one installs again
$(STAMP): pyproject.toml constraints.txt $(NATIVE)
	@test -n "$(PY_EXE)" || { echo "no Python at PY=$(PY): make build PY=/path/to/python3.11 (3.11 or newer)"; exit 2; }
	@$(BIN)/python -c 'import os, sys; sys.exit(os.path.realpath(sys._base_executable) != "$(PY_EXE)")' 2>/dev/null \
	  || { rm -rf $(VENV) && echo "making $(VENV) from $(PY_EXE)" && $(PY) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# the package's bytecode written first: where PYTHONDONTWRITEBYTECODE is set no process writes it,
# and each (the command, every parser worker) compiled the modules again
build: $(STAMP)
	@$(BIN)/python -m compileall -q pipeline
	$(BIN)/xxgk build --raw $(RAW) --warehouse $(WAREHOUSE) $(if $(JOBS),--jobs $(JOBS))

test: $(STAMP) pdf-printers
	$(BIN)/python -m pytest -q

# Chromium, LibreOffice and a CJK font print generated reports to PDF for the PDF round trips
PRINTERS := chromium libreoffice-writer-nogui fonts-noto-cjk

pdf-printers:
	@if ! command -v chromium >/dev/null || ! command -v soffice >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  echo "installing Debian's $(PRINTERS) (reports printed to PDF for the round trips)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends $(PRINTERS) >/dev/null \
	    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(PRINTERS) >/dev/null; }; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests scripts
	$(BIN)/ruff format --check pipeline tests scripts
	$(BIN)/mypy

N         ?= 20000
SEED      ?= 1
SCALING   ?= 5000,20000,80000

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --n $(N) --seed $(SEED) --scaling $(SCALING) --instructions $(INSTRUCTIONS)

# this checkout's cold build against commit REF's, interleaved in one run, warehouses compared
ROUNDS       ?= 3
INSTRUCTIONS ?= 300

bench-ab: $(STAMP)
	@test -n "$(REF)" || { echo "make bench-ab REF=<commit> [N=20000] [ROUNDS=3]"; exit 2; }
	$(BIN)/python scripts/bench_ab.py --ref $(REF) --n $(N) --rounds $(ROUNDS) --seed $(SEED) --instructions $(INSTRUCTIONS)

PROFILE_N ?= 5000

profile: $(STAMP)
	$(BIN)/python scripts/profile.py --n $(PROFILE_N) --seed $(SEED)

ROUNDTRIP_N  ?= 10000
FUZZ_SECONDS ?= 300

roundtrip: $(STAMP)
	$(BIN)/python scripts/roundtrip.py --n $(ROUNDTRIP_N) --seed $(SEED)

PUBLISHED_N     ?= 2000
PUBLISHED_PDF_N ?= 300

roundtrip-published: $(STAMP) pdf-printers
	$(BIN)/python scripts/roundtrip_published.py --n $(PUBLISHED_N) --kind html,docx --seed $(SEED)
	$(BIN)/python scripts/roundtrip_published.py --n $(PUBLISHED_PDF_N) --kind pdf_print,pdf_word --seed $(SEED)

fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py --seconds $(FUZZ_SECONDS)

UNIT_DIR ?= $(HOME)/.config/systemd/user

install-timer: $(STAMP)
	mkdir -p $(UNIT_DIR)
	for f in xxgk-refresh.service xxgk-refresh.timer; do \
	  sed -e 's|@REPO@|$(CURDIR)|g' -e 's|@RAW@|$(abspath $(RAW))|g' -e 's|@WAREHOUSE@|$(abspath $(WAREHOUSE))|g' \
	    deploy/$$f > $(UNIT_DIR)/$$f; done
	systemctl --user daemon-reload
	systemctl --user enable --now xxgk-refresh.timer
	systemctl --user list-timers xxgk-refresh.timer

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find $(WAREHOUSE) -mindepth 1 ! -name .keep -exec rm -rf {} +
