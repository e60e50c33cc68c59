# The README's two commands: `make demo` runs the demo, `make test` runs every test.
# Both install whatever the machine lacks first (.ci/setup is idempotent and fast when done).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tests/js/node_modules/.bin:$(PATH)

.PHONY: demo test setup package bench size

demo: setup
	@.ci/demo

test: setup
	@.ci/test

setup:
	@.ci/setup

package: setup
	@.ci/build-package

# clerk-rs vs @clerk/clerk-js 6.40 in one Chromium run (not a test): prints a table, writes BENCHMARKS.md.
bench: package
	@node tests/js/bench/run.mjs

size: package
	@.ci/size
