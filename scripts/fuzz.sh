#!/usr/bin/env bash
# Runs each fuzz target of tests/fuzz.rs for N mutated inputs (default one
# million) in a release build, and prints executions per second and the
# slowest input. A panicking input is kept in the temporary folder and named.
# Usage: bash scripts/fuzz.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
ENCAISSE_FUZZ_ITERATIONS="${1:-1000000}" cargo test --release --test main fuzz -- --nocapture --test-threads=1
