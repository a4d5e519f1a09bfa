#!/usr/bin/env bash
# Long runs that the test command only samples: several writers on one
# ledger for a minute (cli/tests/writers.rs), and the writing commands killed
# at 200 random instants (cli/tests/safety.rs).
# Usage: bash scripts/soak.sh [SECONDS] [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
ENCAISSE_SOAK_SECONDS="${1:-60}" cargo test --release -p encaisse-cli --test writers -- --nocapture
ENCAISSE_SOAK_KILLS="${2:-200}" cargo test --release -p encaisse-cli --test safety every_writing -- --nocapture
