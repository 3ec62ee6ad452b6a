#!/usr/bin/env bash
# TTS benchmark: the Rust engine and pipeline (target/release/tts-bench) and,
# in the same invocation, the Python ONNX Runtime path of the original
# (shared/fixtures/baseline_tts.py --engine ort), on the full-size random
# MMS model. Prints both and the ratios. Not part of the test suite.
#
# Usage: scripts/bench-tts.sh [SHARED_DIR]   (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${1:-../shared}"
fixtures="$shared/fixtures"
model="$fixtures/models/mms-fin-random-full"
[[ -f "$model/onnx/model.onnx" ]] || { echo "bench: no model at $model" >&2; exit 1; }

ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH
venv=.cache/bench-venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q onnxruntime==1.31.1 transformers==4.55.4 numpy
fi
cargo build --release --locked --bin tts-bench >&2

out="$(mktemp -d)"
echo "== Rust (ort $(basename "$ORT_DYLIB_PATH"))"
./target/release/tts-bench --model-dir "$model" --sentences "$fixtures/sentences-fi.txt" \
    --json "$out/rust.json"
echo
echo "== Python onnxruntime (baseline_tts.py run --engine ort --threads 0)"
"$venv/bin/python" "$fixtures/baseline_tts.py" run --engine ort --threads 0 \
    --model-dir "$model" --json "$out/python.json" > /dev/null
"$venv/bin/python" - "$out/rust.json" "$out/python.json" <<'PY'
import json, sys
rust = json.load(open(sys.argv[1]))
py = json.load(open(sys.argv[2]))
e = rust["engine"]
keys = [("load_s", "load (s)"), ("first_call_s", "first call (s)"), ("rss_after_load_mb", "RSS after load (MB)"),
        ("peak_rss_mb", "peak RSS (MB)"), ("sum_latency_s", "Σ latency (s)"), ("sum_audio_s", "Σ audio (s)"),
        ("overall_rtf", "overall RTF")]
print(f"| figure | Rust | Python ORT | Rust / Python |\n|---|---|---|---|")
for k, label in keys:
    print(f"| {label} | {e[k]:.3f} | {py[k]:.3f} | {e[k] / py[k]:.2f} |")
print("\n| # | chars | Rust latency (s) | Python latency (s) | Rust RTF | Python RTF |\n|---|---|---|---|---|---|")
for r, p in zip(e["rows"], py["rows"]):
    print(f"| {r['idx']} | {r['chars']} | {r['latency_median_s']:.3f} | {p['latency_median_s']:.3f} | "
          f"{r['rtf_median']:.3f} | {p['rtf_median']:.3f} |")
print("\npipeline (Rust service, bulk of distinct items):", json.dumps(rust["pipeline"], indent=1))
PY
