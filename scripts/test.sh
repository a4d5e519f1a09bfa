#!/usr/bin/env bash
# Sets everything up and runs every check and test: formatting, lints, UI type
# checks and unit tests, the core's scenario tests, the TypeScript bindings
# (regenerated, must match the committed ones), then the end-to-end tests in
# the real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
results=$(mktemp)
trap 'rm -f "$results"' EXIT
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

step() { echo; echo "== $*"; }

step "UI build (embedded in the binary)"
npm --prefix ui run build --silent

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "UI: svelte-check and vitest"
npm --prefix ui run check --silent
npm --prefix ui test --silent

step "core and shell tests (also regenerates the TypeScript bindings)"
cargo test --quiet 2>&1 | tee -a "$results"

step "TypeScript bindings are current"
if [ -n "$(git status --porcelain -- ui/src/lib/bindings)" ]; then
  git status --short -- ui/src/lib/bindings
  echo "The generated bindings differ from the committed ones: commit ui/src/lib/bindings." >&2
  exit 1
fi

step "end-to-end tests in the real window"
cargo build --quiet -p encaisse-app
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --quiet -p encaisse-e2e --test window -- --test-threads=1 2>&1 | tee -a "$results"

echo
echo "All checks passed in $(( $(date +%s) - start )) s."
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { printf "Tests: %d passed, %d failed\n", p, f }' "$results"
