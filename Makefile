# Polypscope: `make run` (the main job) and `make test` (install what tests need, run them all).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATASETS ?= ../shared/datasets
SAMPLE_VIDEO ?= $(DATASETS)/videos/colondb_seq01_5fps.mp4
RUN_OUT ?= out/sample
HOST ?= 127.0.0.1
PORT ?= 8000

# The review UI (frontend/): TypeScript built by Vite into webapp/frontend_dist, which Django serves.
FRONTEND_STAMP := frontend/node_modules/.installed
FRONTEND_INDEX := webapp/frontend_dist/index.html
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run segment-sample test install lint bench clean services frontend browser deploy-tools bench-ui

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(FRONTEND_STAMP)

$(FRONTEND_INDEX): $(FRONTEND_STAMP) $(FRONTEND_SRC)
	cd frontend && npm run build --silent

frontend: $(FRONTEND_INDEX)

# The deployment tests (tests/deploy/) run nginx -t on the proxy's config and envsubst on its template (Debian's
# nginx and gettext-base); kubectl and the PostgreSQL client are on the dev and CI machines. The benchmark's 1080p
# H.264 video (manage.py make_hd_video) needs ffmpeg: OpenCV's wheel cannot encode H.264.
deploy-tools:
	@command -v nginx >/dev/null && command -v envsubst >/dev/null || { echo "installing nginx and gettext-base for tests/deploy"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx gettext-base >/dev/null; }
	@command -v ffmpeg >/dev/null || { echo "installing ffmpeg (libx264) for manage.py make_hd_video and its test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; }

# Browser tests drive Debian's Chromium (Playwright is given its path; no browser download).
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: apt-get install chromium (as root)"; exit 1; }

# The whole app on http://$(HOST):$(PORT) with no outside services: one process serves HTTP and websockets
# and runs the worker, on SQLite (.data/polypscope.sqlite3) with an in-memory queue and channel layer
# (see webapp/embedded/). Loads a demo study once and prints the admin's credentials; Ctrl+C stops it.
run: $(STAMP) frontend
	POLYPSCOPE_EMBEDDED=1 POLYPSCOPE_DATASETS="$(abspath $(DATASETS))" \
	  $(PY) manage.py run_embedded --host $(HOST) --port $(PORT)

# Segments a sample colonoscopy video with the shipped default model: writes
# $(RUN_OUT)/overlay.mp4, $(RUN_OUT)/results.json and $(RUN_OUT)/masks/.
# Without the shared datasets, a synthetic sample video is made first.
segment-sample: $(STAMP)
	@if [ -f "$(SAMPLE_VIDEO)" ]; then video="$(SAMPLE_VIDEO)"; \
	else video=out/synthetic-sample.mp4; mkdir -p out; $(PY) -m inference sample-video "$$video"; fi; \
	$(PY) -m inference segment "$$video" --out $(RUN_OUT) && \
	echo "overlay: $(RUN_OUT)/overlay.mp4  results: $(RUN_OUT)/results.json  masks: $(RUN_OUT)/masks/"

# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) back the web app's tests; start them when down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@pg_isready -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping

test: $(STAMP) frontend browser deploy-tools services
	$(PY) -m ruff check .
	cd frontend && npx tsc --noEmit -p tsconfig.json && npx vitest run
	$(PY) -m pytest tests

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) -m inference bench --size 448 --batch 1 --json

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache frontend/node_modules webapp/frontend_dist
