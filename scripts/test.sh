#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: unit tests, integration tests
# through the real server, engine tests on the tiny fixture models. Installs
# what the tests need first (the ONNX Runtime library, from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH
cargo test --all-targets --locked "$@"
