#!/usr/bin/env bash
# Quick start: install what is missing, then start Supervisor Assist in demo mode
# (built-in CXone simulator + sample KB; no tenant and no keychain needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec cargo run --quiet -p supervisor-assist -- --demo "$@"
