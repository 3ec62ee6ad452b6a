#!/usr/bin/env bash
# Piper engine: intelligibility round trip and benchmark against piper-tts, in one run.
#
# 1. The Rust engine synthesises the sentences of tests/piper_engine.rs (ROUND_TRIP) with the
#    real en_US-joe-medium voice, writing WAVs and per-sentence latency / RTF.
# 2. scripts/piper_roundtrip.py synthesises the same sentences with piper-tts (Python) and
#    transcribes both sets with PocketSphinx's US English model (shipped in its PyPI wheel, fully
#    offline), printing the word error rate of each round trip and the timings side by side.
# Not part of the test suite. Set PIPER_BENCH_RELEASE=1 for a release build of the Rust side.
#
# Usage: scripts/bench-piper.sh [OUT_DIR]   (default .cache/piper-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.cache/piper-bench}"
ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
PIPER_TEST_VOICES_DIR="${PIPER_TEST_VOICES_DIR:-$(scripts/install-piper-voice.sh)}"
export ORT_DYLIB_PATH PIPER_TEST_VOICES_DIR
venv=.cache/piper-bench-venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q piper-tts==1.8.0 pocketsphinx==5.1.1
fi
mkdir -p "$out"
PIPER_ROUNDTRIP_OUT="$(cd "$out" && pwd)" cargo test ${PIPER_BENCH_RELEASE:+--release} \
    --test piper_engine round_trip_audio_and_timings -- --ignored --nocapture \
    | grep '^{' > "$out/rust.jsonl"
"$venv/bin/python" scripts/piper_roundtrip.py "$out" "$PIPER_TEST_VOICES_DIR/en_US-joe-medium.onnx"
