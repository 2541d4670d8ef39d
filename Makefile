# Every target installs what it needs into .venv first, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint up bench lock sam-validate sam-build layer-check python3.12 clean

$(STAMP): pyproject.toml layers/reelay/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/reelay demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

up: $(STAMP)
	$(VENV)/bin/reelay up

# Every bench runs; make fails at the end if one did (cold_start.py exits 1 for a missed goal).
bench: $(STAMP)
	status=0; for b in bench/*.py; do $(PY) $$b || status=1; done; exit $$status

# The layer's lock: layers/reelay/requirements.txt, every package pinned with the hashes of all its
# files, resolved for the Lambda runtime (CPython 3.12 on arm64, manylinux2014 aarch64) from the
# ranges in requirements.in. `make lock` refreshes it (newest versions the ranges allow); the lock
# tool is pinned too, in a virtual environment of its own.
UV_VERSION ?= 0.13.8
LOCK_VENV ?= .lock-venv
$(LOCK_VENV)/bin/uv:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet 'uv==$(UV_VERSION)'

lock: $(LOCK_VENV)/bin/uv
	cd layers/reelay && ../../$(LOCK_VENV)/bin/uv pip compile requirements.in --quiet \
		--generate-hashes --python-version 3.12 --python-platform aarch64-manylinux2014 \
		--custom-compile-command 'make lock' --output-file requirements.txt

# aws-sam-cli pins an older boto3, so it gets a virtual environment of its own. `sam validate`
# works offline with no AWS account (any region will do); `sam build` for the python3.12 runtime
# needs a python3.12: the one on PATH, else pyenv's (or run `sam build --use-container` yourself).
SAM_VENV ?= .sam-venv
SAM := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(SAM_VENV)/bin/sam
PY312_BIN = $(shell for p in "$$(command -v python3.12)" \
		$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12; do \
	[ -x "$$p" ] && "$$p" -c '' 2>/dev/null && { dirname "$$p"; break; }; done)

$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli

# The directory holding a working python3.12, or a failure that says what is missing.
python3.12:
	@[ -n "$(PY312_BIN)" ] && echo "$(PY312_BIN)" || \
		{ echo "no python3.12 found (on PATH or under pyenv): sam build needs one" >&2; exit 1; }

sam-validate: $(SAM_VENV)/bin/sam
	$(SAM) validate --lint

sam-build: sam-validate python3.12
	PATH="$(PY312_BIN):$$PATH" $(SAM) build

# Builds the layer twice from a fresh clone of HEAD and checks both builds hold the same files:
# exactly the lock's hash-checked arm64 wheels and Reelay's package, each source with its bytecode.
layer-check: $(SAM_VENV)/bin/sam python3.12
	PATH="$(PY312_BIN):$$PATH" python3.12 tools/layer_build.py --sam $(SAM_VENV)/bin/sam

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LOCK_VENV) .pytest_cache .ruff_cache .aws-sam
