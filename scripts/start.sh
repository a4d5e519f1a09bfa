#!/usr/bin/env bash
# Sets everything up, builds Encaisse (release) and opens it on a demonstration
# ledger (~/.local/share/encaisse-demo/demo.sqlite), created on first run.
# Pass --ledger PATH to open another ledger instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== build"
npm --prefix ui run build --silent
cargo build --release -p encaisse-app -p encaisse-cli

ledger="${XDG_DATA_HOME:-$HOME/.local/share}/encaisse-demo/demo.sqlite"
if [ "${1:-}" = "--ledger" ] && [ -n "${2:-}" ]; then
  ledger="$2"
elif [ ! -f "$ledger" ]; then
  ./target/release/encaisse-cli --ledger "$ledger" demo
fi
echo "== Encaisse on $ledger"
exec ./target/release/encaisse --ledger "$ledger"
