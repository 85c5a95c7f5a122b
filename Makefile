# The front door. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SPEC ?= data/specs/synthetic.yaml
XED_SPEC := data/specs/x_education.yaml

.DEFAULT_GOAL := help
.PHONY: help install browser postgresql run serve loop test test-fast lint bench bench-build bench-build-activities bench-build-activities-dask bench-init bench-train bench-tuning bench-serve bench-page bench-monitor bench-reliability soak bench-peers bench-gaps bench-bagging bench-members bench-score bench-scale bench-engagement clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv and install the project with dev tools

# `train` builds the training set from the spec itself (`leadscore build` writes it to a file, to inspect).
run: install ## main job on the synthetic export: train (building the training set), register, promote, then score a lead over HTTP
	$(BIN)/leadscore train --spec $(SPEC) --register --promote
	$(BIN)/python -m serving.demo.smoke

serve: install ## run the prediction service on port 3000 (the champion of the synthetic model by default)
	$(BIN)/leadscore serve --port 3000

# The browser test drives Debian's Chromium; a small CJK font lets the Chinese page render in screenshots.
browser: ## install chromium, chromium-driver and a CJK font from Debian when missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list 2>/dev/null | grep -qi wenquanyi || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null)

# The feedback-loop test runs a real PostgreSQL server (started and stopped by the test itself).
postgresql: ## install Debian's PostgreSQL server when missing
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

loop: install ## the feedback loop end to end: train, serve, score period 2, import outcomes, monitor, retrain, reload
	rm -rf data/generated/loop
	$(BIN)/python -m serving.demo.loop --work data/generated/loop

test: install browser postgresql ## run the whole test suite (slow tests included)
	$(BIN)/python -m pytest -q

test-fast: install ## the unit tests only, for the edit-test loop (under two minutes)
	$(BIN)/python -m pytest -q tests/unit

lint: install ## ruff over the code
	$(BIN)/ruff check features training serving tests

bench: bench-build bench-train bench-serve ## all benchmarks; results go into docs/benchmarks.md by hand, with the command

bench-build: install ## synth 1,000,000 leads, then build the training set: wall time and peak memory
	$(BIN)/python tests/bench/bench_build.py

bench-build-activities: install ## the same build with 20,000,000 activities (engagement features point-in-time): wall time and memory
	$(BIN)/python tests/bench/bench_build.py --activities 20000000

bench-build-activities-dask: install ## build --engine dask of 10,000,000 leads and 200,000,000 activities (export written first, not timed)
	$(BIN)/python tests/bench/bench_dask_activities.py $(DASK_ACTIVITIES_ARGS)

bench-init: install ## leadscore init on 1,000,000 synthetic leads (ISO and day-first dates): wall time and memory
	$(BIN)/python tests/bench/bench_init.py

bench-train: install ## X Education quality; 1,000,000- and 50,000-lead training time (wall and CPU) and memory
	$(BIN)/python tests/bench/bench_train.py

bench-tuning: install ## how the tuner's objective was chosen: no tuning vs 2, 3, 4 tuning folds (~10 min)
	$(BIN)/python tests/bench/bench_tuning.py

bench-page: install ## managers' page: first draw, then 200 requests per language (target <= 50 ms)
	$(BIN)/python tests/bench/bench_page.py

bench-serve: install ## our service against mlflow models serve: latency, throughput, errors (installs wrk)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench_serve.py

bench-reliability: install ## 20,000 Schemathesis requests against a real server, every check; writes docs/benchmarks.md
	$(BIN)/python tests/bench/bench_reliability.py

soak: install ## bounded soak of a real server on loopback: 5 minutes at 200 requests/s (SOAK_SECONDS, SOAK_RATE)
	$(BIN)/python tests/bench/soak.py

# The peers live in their own environment so none of them becomes a project dependency by accident
# (pip finds the CPU-only torch wheel that AutoGluon wants through the machine's pip configuration).
PEERS_VENV := .venv-peers
$(PEERS_VENV)/.installed:
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet "autogluon.tabular[all]>=1.4" "flaml[automl]>=2.3" "catboost>=1.2" pyarrow
	touch $@

bench-peers: install $(PEERS_VENV)/.installed ## the project vs default CatBoost, FLAML and AutoGluon on the same rows (~1 h)
	$(BIN)/python tests/bench/bench_peers.py $(PEERS_ARGS)

bench-gaps: install $(PEERS_VENV)/.installed ## each bench-peers set: the gap to default CatBoost against a paired bootstrap of the held-out rows
	$(BIN)/python tests/bench/bench_gaps.py $(GAPS_ARGS)

bench-bagging: install ## the served booster as the mean of the inner folds' boosters vs one refit, same rows (~4 min)
	$(BIN)/python tests/bench/bench_bagging.py $(BAGGING_ARGS)

bench-members: install ## CatBoost as a member, its SHAP cost, inner folds in time order: what did not close the gaps (~8 min)
	$(BIN)/python -m pip install --quiet -e '.[dev,candidates]'
	$(BIN)/python tests/bench/bench_members.py $(MEMBERS_ARGS)

bench-scale: install ## build, train, score of 100,000 and 1,000,000 synthetic leads, pandas vs Dask: time, memory
	$(BIN)/python tests/bench/bench_scale.py $(SCALE_SIZES)

bench-score: install ## 100,000 leads scored with reasons, as a ratio to LightGBM's raw pred_contrib in the same run
	$(BIN)/python tests/bench/bench_score.py

bench-engagement: install ## synthetic with planted engagement: served vs truth vs fit-only ROC-AUC on the same held-out leads
	$(BIN)/python tests/bench/bench_engagement.py

bench-monitor: install ## monitor over 1,000,000 logged predictions with outcomes: wall time and peak memory
	cd tests/bench && ../../$(BIN)/python bench_monitor.py

clean: ## remove generated data, tracking store and caches (keeps .venv)
	rm -rf data/generated mlruns mlflow.db mlartifacts predictions.db predictions.spool* artifacts test-artifacts .pytest_cache .ruff_cache
