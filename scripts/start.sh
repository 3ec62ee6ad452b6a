#!/usr/bin/env bash
# Start Last Whisper on its embedded defaults: SQLite under data/, audio under
# audio/, port 8000. Settings come from .env and the environment (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --bin last-whisper -- "$@"
