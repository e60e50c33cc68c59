# The README's two commands: `make demo` runs the demo, `make test` runs every test.
# Both install whatever the machine lacks first (.ci/setup is idempotent and fast when done).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tests/js/node_modules/.bin:$(PATH)

.PHONY: demo test setup package bench size fuzz load load-postgres react-example next-example vue-example

demo: setup
	@.ci/demo

test: setup
	@.ci/test

setup:
	@.ci/setup

package: setup
	@.ci/build-package

# clerk-rs vs @clerk/clerk-js 6.40 in one Chromium run (not a test): prints a table, writes BENCHMARKS.md.
# The React example (www/react: @clerk/react over clerk-rs, Vite) with clerk-server, at http://127.0.0.1:3000/.
react-example: package
	@cargo build -q --release -p clerk-server
	@node www/react/run.mjs

# Clerk's Next.js quickstart (www/next) on clerk-rs's script build, served by clerk-server, at http://localhost:3000/.
next-example: package
	@cargo build -q --release -p clerk-server
	@node www/next/run.mjs

# @clerk/vue's plugin (www/vue) on clerk-rs's script build, behind the app's /__clerk proxy, at http://localhost:3000/.
vue-example: package
	@cargo build -q --release -p clerk-server
	@node www/vue/run.mjs

bench: package
	@node tests/js/bench/run.mjs

size: package
	@.ci/size

# clerk-server under load: 64 clients for 20 s, then 3 rounds of load + kill -9 + restart +
# check of every acknowledged write (not a test; see server/README.md). Optimised build, as bench_tokens.
load:
	@CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_PANIC=unwind \
	  CARGO_TARGET_DIR=target/bench cargo build --release -p clerk-server --bin clerk-server --example load
	@target/bench/release/examples/load --seconds 20
	@target/bench/release/examples/load --seconds 10 --crash 3

# The same on PostgreSQL (a throwaway cluster, .ci/with-postgres); the crash run has two replicas
# on the one database, clients spread over both, and kills one of them each round.
load-postgres:
	@CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_PANIC=unwind \
	  CARGO_TARGET_DIR=target/bench cargo build --release -p clerk-server --bin clerk-server --example load
	@.ci/with-postgres bash -c 'set -e; base=$${CLERK_TEST_POSTGRES%/*}; \
	  "$$CLERK_PG_BIN/psql" -q "$$CLERK_TEST_POSTGRES" -c "CREATE DATABASE load_plain" -c "CREATE DATABASE load_crash"; \
	  target/bench/release/examples/load --seconds 20 --db "$$base/load_plain"; \
	  target/bench/release/examples/load --seconds 10 --crash 3 --replicas 2 --db "$$base/load_crash"'

# Every cargo-fuzz target for a bounded time (FUZZ_SECS each, default 60 s): executions, findings.
fuzz:
	@.ci/fuzz $(or $(FUZZ_SECS),60)
