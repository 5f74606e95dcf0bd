# Communicator: `make demo` runs the product end to end, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= --durations=15

.PHONY: test demo lint typecheck pytest system-deps venv bench clean bundle package package-test package-test-if-root

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,server]'
	touch $@

# The windows' translations: .qm compiled from the .ts sources (not in git; the bundle's spec
# compiles its own). The application run from this checkout loads them from resources/.
QM := $(patsubst %.ts,%.qm,$(wildcard resources/translations/*.ts))

resources/translations/%.qm: resources/translations/%.ts | $(STAMP)
	$(BIN)/pyside6-lrelease -silent $< -qm $@

venv: $(STAMP) $(QM)

system-deps:
	@scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(QM)
	QT_QPA_PLATFORM=offscreen scripts/with-secret-service.sh $(BIN)/pytest $(PYTEST_ARGS)

test: system-deps
	$(MAKE) lint typecheck pytest package-test-if-root

demo: system-deps $(STAMP) $(QM)
	$(BIN)/python -m communicator.demo

bench: system-deps $(STAMP)
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# Packages (installers/README.md). `make package` builds the PyInstaller bundles of the client
# and the server, the two .debs (zstd; DEB_COMPRESSION=xz for releases) and checks the MSI source
# with wixl; `make package-test` also installs them here with apt (root), tests them as IT and
# support would, and purges them.
PACKAGE_STAMP := $(VENV)/.package-stamp
DEB_COMPRESSION ?= zstd
PYINSTALLER = $(BIN)/pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/pyinstaller

$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[package]'
	touch $@

# The two bundles build side by side (PyInstaller runs on one core; each has its own work folder).
bundle: system-deps $(PACKAGE_STAMP)
	$(PYINSTALLER) installers/communicator.spec & client=$$!; \
	$(PYINSTALLER) installers/communicator-server.spec & server=$$!; \
	wait $$client; c=$$?; wait $$server; s=$$?; [ $$c = 0 ] && [ $$s = 0 ]

package: bundle
	installers/linux/build-debs.sh -Z $(DEB_COMPRESSION)
	installers/windows/check-wxs.sh

package-test: package
	installers/linux/package-test.sh

# For `make test` (CI runs as root; ~1.5 min on a quiet machine): package-test where apt can
# install, a note elsewhere (a developer without root).
package-test-if-root:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		$(MAKE) --no-print-directory package-test; \
	else \
		echo "package-test skipped: it installs packages with apt, as root"; \
	fi
