# Lepton: `make demo` and `make test` do all set-up on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
LEPTON_DATASETS ?= ../shared/datasets
export LEPTON_DATASETS
# Release builds for benchmarks and demos; tests run in debug.
RELEASE_FLAGS := -c release
APT_PACKAGES := pkgconf libpng-dev libcsv-dev libopenblas-dev python3 nginx wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENV := Benchmarks/peers/.venv

.PHONY: deps build test eval bench demo clean peers peers-imaging fuzz fuzz-build sanitize notebooks notebooks-check notebooks-venv notebooks-screenshots

## deps: install the C libraries (apt) when any is missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: C libraries present ($(APT_PACKAGES))"; fi

build: deps
	$(SWIFT) build

## test: deps, build, run every test
test: deps
	$(SWIFT) build --build-tests
	LEPTON_CACHE_DIR="$(CURDIR)/.build/test-data-cache" $(SWIFT) test --skip-build 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

## eval: real-data quality gates on $(LEPTON_DATASETS); skipped, saying so, when it is absent
eval: deps
	@if [ ! -d "$(LEPTON_DATASETS)" ]; then \
	  echo "make eval: no data sets at $(LEPTON_DATASETS) (set LEPTON_DATASETS); real-data gates skipped."; \
	else \
	  $(SWIFT) build $(RELEASE_FLAGS) --product lepton-bench && \
	  $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/lepton-bench gates --datasets "$(LEPTON_DATASETS)"; \
	fi

## peers: Python peers (pandas, Pillow, …) in a git-ignored virtual environment
peers:
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r Benchmarks/peers/requirements.txt

## peers-imaging: PyTorch and ONNX Runtime (from PyPI, with CUDA wheels: several GB) for the
## neural-network benchmarks; only `make bench` needs them, never `make test`
peers-imaging: peers
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r Benchmarks/peers/requirements-imaging.txt

## bench: our figures and the peers' side by side, in one run (see Benchmarks/README.md)
bench: deps peers peers-imaging
	$(SWIFT) build $(RELEASE_FLAGS) --product lepton-bench
	$(SWIFT) build $(RELEASE_FLAGS) --product lepton-credit
	$(SWIFT) build $(RELEASE_FLAGS) --product lepton-qc
	$(SWIFT) build $(RELEASE_FLAGS) --product lepton-scan
	PEER_PYTHON=$(VENV)/bin/python $(VENV)/bin/python Benchmarks/run_all.py "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/lepton-bench" --datasets "$(LEPTON_DATASETS)"

## demo: every domain that is in, on the embedded data/ (release build)
demo: deps
	$(SWIFT) build $(RELEASE_FLAGS)
	@bin="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"; ran=0; \
	for tool in lepton-credit lepton-scan lepton-qc; do \
	  if [ -x "$$bin/$$tool" ]; then echo "== $$tool demo"; "$$bin/$$tool" demo || exit 1; ran=$$((ran+1)); fi; \
	done; \
	[ $$ran -gt 0 ] || echo "make demo: no domain executable is built yet (lepton-credit, lepton-scan, lepton-qc land with their issues)."

## fuzz: every fuzz target (Tests/Fuzz) for FUZZ_SECONDS each under libFuzzer + AddressSanitizer, then a
## table ending in `crashes: N` (exit 1 when N > 0). The instrumented build lives in .build/fuzz.
FUZZ_SECONDS ?= 300
FUZZ_BUILD := LEPTON_FUZZ=1 $(SWIFT) build -c release --build-path .build/fuzz --product lepton-fuzz \
	-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
fuzz-build: deps
	$(FUZZ_BUILD)
fuzz: fuzz-build
	python3 Tests/Fuzz/run_fuzz.py --binary "$$($(FUZZ_BUILD) --show-bin-path)/lepton-fuzz" --seconds $(FUZZ_SECONDS)

## sanitize: the whole test suite under AddressSanitizer (C kernels with -fsanitize=address,undefined),
## then under ThreadSanitizer, each in its own build folder. Optimised builds (-O, as sanitizers are
## usually run) with testable imports: the -Onone runs took 71 minutes, these about a third of that.
SANITIZE_BUILD := -c release -Xswiftc -enable-testing
sanitize: deps
	$(SWIFT) build $(SANITIZE_BUILD) --build-tests --build-path .build/asan --sanitize=address -Xcc -fsanitize=address,undefined
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test $(SANITIZE_BUILD) --skip-build --build-path .build/asan --sanitize=address
	$(SWIFT) build $(SANITIZE_BUILD) --build-tests --build-path .build/tsan --sanitize=thread
	TSAN_OPTIONS="halt_on_error=0 suppressions='$(CURDIR)/Tests/Sanitizers/tsan-suppressions.txt'" \
		$(SWIFT) test $(SANITIZE_BUILD) --skip-build --build-path .build/tsan --sanitize=thread

clean:
	rm -rf .build

## notebooks: run every teaching notebook (notebooks-exported/sources/*.md) for real with the release
## executables and export NAME.ipynb and NAME.html into notebooks-exported/ (see its README)
NB_VENV := .build/notebooks-venv
NB_RUN = $(NB_VENV)/bin/python notebooks-exported/build_notebooks.py --bin "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"
notebooks-venv:
	@[ -x $(NB_VENV)/bin/python ] || python3 -m venv $(NB_VENV)
	@$(NB_VENV)/bin/pip install -q --disable-pip-version-check nbformat nbconvert jupytext
notebooks: deps notebooks-venv
	$(SWIFT) build $(RELEASE_FLAGS)
	$(NB_RUN)
## notebooks-check: re-run every notebook and compare with the exported ones (timing lines ignored);
## validate each .ipynb (nbformat) and convert it (nbconvert) — what CI runs
notebooks-check: deps notebooks-venv
	$(SWIFT) build $(RELEASE_FLAGS)
	$(NB_RUN) --check
## notebooks-screenshots: each exported notebook's HTML rendered by headless Chromium to a PNG, to look at
notebooks-screenshots:
	@command -v chromium >/dev/null || { echo "make notebooks-screenshots: installing chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }
	@mkdir -p .build/notebook-screenshots
	@for f in notebooks-exported/*.html; do n=$$(basename $$f .html); \
	  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,9000 \
	    --screenshot="$(CURDIR)/.build/notebook-screenshots/$$n.png" "file://$(CURDIR)/$$f" 2>/dev/null; \
	  echo ".build/notebook-screenshots/$$n.png"; done

## report-screenshots: the three sample reports (seeded synthetic data) as HTML, Markdown + SVG figures and
## headless-Chromium PNG screenshots in .build/report-samples, to look at
REPORT_SAMPLES := .build/report-samples
.PHONY: report-screenshots
report-screenshots: deps
	@command -v chromium >/dev/null || { echo "make report-screenshots: installing chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }
	@mkdir -p $(REPORT_SAMPLES)
	LEPTON_REPORT_SAMPLES_DIR="$(abspath $(REPORT_SAMPLES))" $(SWIFT) test --filter LeptonReportTests.ChromiumRenderingTests
	@ls -1 $(REPORT_SAMPLES)/*.png $(REPORT_SAMPLES)/*.html
