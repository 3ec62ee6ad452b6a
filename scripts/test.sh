#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: unit tests, integration tests
# through the real server, engine tests on the tiny fixture models, and the
# practice page in headless Chromium. Installs what the tests need first:
# the ONNX Runtime library (PyPI wheel), Debian's chromium, and
# playwright-core (npm, tests/e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH
export PIPER_TEST_VOICES_DIR="${PIPER_TEST_VOICES_DIR:-$(scripts/install-piper-voice.sh)}"
scripts/install-e2e.sh
cargo test --all-targets --locked "$@"
