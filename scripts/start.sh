#!/usr/bin/env bash
# Start Last Whisper on its embedded defaults: SQLite under data/, audio under
# audio/, port 8000, local TTS engine with its model under models/.
# Installs the ONNX Runtime library and, when missing and the internet is
# reachable, the Finnish MMS-TTS model; without a model the service still
# starts (items then fail their TTS, and /health reports tts_service
# unhealthy with the detail "not initialized").
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH
# Two glibc malloc arenas instead of eight per core: with the default, RSS
# under the soak benchmark grew from 222 to 532 MB in 120 s (freed buffers
# held in per-thread arenas); with two it levelled off at 323 MB. See the
# README ("Memory").
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# Blocks of 128 KiB and more straight from mmap, so they go back to the system
# when freed: without it glibc raises its threshold to the largest block freed
# (ONNX Runtime frees blocks of tens of MB) and keeps those in the heap; the
# full-size MMS model sat at 355 MB after loading, with it at 165 MB.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
cargo build --release --locked --bin last-whisper
model_dir="${TTS_MODEL_DIR:-models/mms-tts-fin}"
if [[ ! -d "$model_dir" ]]; then
    ./target/release/last-whisper models fetch --dest "$model_dir" ||
        echo "start: continuing without a TTS model (see the message above)" >&2
fi
exec ./target/release/last-whisper "$@"
