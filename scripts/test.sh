#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: unit tests, integration tests
# through the real server, doc tests. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets --locked "$@"
