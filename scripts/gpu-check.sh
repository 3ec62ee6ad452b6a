#!/usr/bin/env bash
# The local engine on a GPU, next to PyTorch on the same GPU (issue 18). Run it whenever a GPU
# machine is at hand; it is not part of the test suite.
#
#   scripts/gpu-check.sh pack        here: build tts-bench, take ONNX Runtime's CUDA build from
#                                    the onnxruntime-gpu wheel, pack both (with the model
#                                    generator and sentences from ../shared/fixtures) into
#                                    .gpu/p1 … .gpu/pN, parts of at most 50 MiB
#   scripts/gpu-check.sh stage K     there: copy part K (carried as .gpu/pK) to /tmp/stage
#   scripts/gpu-check.sh run         there: the last part is carried with this call; reassemble,
#                                    regenerate the full-size random MMS model, and print:
#                                    PyTorch's per-sentence latency and RTF (the anchor), this
#                                    engine's with TTS_DEVICE=cuda one at a time and batching,
#                                    items/s for 1, 4 and 16 texts at once (engine and task
#                                    pipeline), peak GPU memory of each phase, and batched vs
#                                    one-at-a-time audio on the deterministic tiny model.
#
# With the device tool (a machine stays warm ~30 s after a call): one `stage K` call per part but
# the last, issued back to back with `carry: [".gpu/pK"]`, then `run` with the last part carried.
# Figures and logs are also written to $OUT (or /tmp/gpu-out) to come back with the call.
#
# Environment for a dry run on a machine without a GPU: GPU_CHECK_DEVICE=cpu, GPU_CHECK_MODEL_DIR
# (skip regenerating the model), GPU_CHECK_SKIP_TORCH=1.
set -uo pipefail
cd "$(dirname "$0")/.."

part_bytes=50M  # 50 MiB: four parts with xz -9
ort_version=1.31.1

pack() {
    set -e
    local shared="${1:-../shared}"
    cargo build --release --locked --bin tts-bench >&2
    local cache=.cache/gpu-wheel
    mkdir -p "$cache"
    local wheel
    wheel="$(ls "$cache"/onnxruntime_gpu-"$ort_version"-*.whl 2>/dev/null | head -1 || true)"
    if [[ -z "$wheel" ]]; then
        python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
            --platform manylinux_2_28_x86_64 "onnxruntime-gpu==$ort_version" -d "$cache" >&2
        wheel="$(ls "$cache"/onnxruntime_gpu-"$ort_version"-*.whl | head -1)"
    fi
    local bundle
    bundle="$(mktemp -d)"
    mkdir -p "$bundle/bin" "$bundle/ort" "$bundle/fixtures"
    python3 - "$wheel" "$bundle/ort" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = name.rsplit("/", 1)[-1]
        if "/capi/" in name and base in ("libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so",
                                         "libonnxruntime_providers_cuda.so"):
            with open(f"{out}/{base}", "wb") as f:
                f.write(z.read(name))
PY
    [[ -f "$bundle/ort/libonnxruntime_providers_cuda.so" ]] || { echo "gpu-check: no CUDA provider in $wheel" >&2; exit 1; }
    cp target/release/tts-bench "$bundle/bin/"
    strip "$bundle/bin/tts-bench" 2>/dev/null || true
    cp "$shared/fixtures/export_random_vits.py" "$shared/fixtures/sentences-fi.txt" "$bundle/fixtures/"
    rm -rf .gpu
    mkdir -p .gpu
    tar -C "$bundle" -cf - . | xz -T0 -9 > .gpu/bundle.tar.xz
    rm -rf "$bundle"
    split -b "$part_bytes" -d -a 2 .gpu/bundle.tar.xz .gpu/part-
    rm .gpu/bundle.tar.xz
    local k=0
    for part in .gpu/part-*; do
        k=$((k + 1))
        mkdir -p ".gpu/p$k"
        mv "$part" ".gpu/p$k/"
    done
    ls -l .gpu/p*/ >&2
    echo "gpu-check: $k parts; calls: stage 1..$((k - 1)) with carry .gpu/pK, then run with carry .gpu/p$k" >&2
}

stage() {
    local k="$1"
    mkdir -p /tmp/stage
    cp ".gpu/p$k"/part-* /tmp/stage/ && ls -l /tmp/stage
}

# The folder of the first file called $1 under the usual library roots.
lib_dir() {
    local found
    found="$(find /usr/local /usr/lib /usr/lib64 /opt -name "$1" 2>/dev/null | head -1)"
    [[ -n "$found" ]] && dirname "$found"
}

# Peak GPU memory used (MiB) while "$@" runs, appended to $mem_log with the label $phase.
with_gpu_memory() {
    local phase="$1"
    shift
    local samples
    samples="$(mktemp)"
    local sampler=""
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$samples" 2>/dev/null &
        sampler=$!
    fi
    "$@"
    local rc=$?
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
    local peak
    peak="$(sort -n "$samples" | tail -1)"
    echo "$phase ${peak:-n/a}" >> "$mem_log"
    rm -f "$samples"
    return $rc
}

run() {
    local out="${OUT:-/tmp/gpu-out}"
    mkdir -p "$out" /tmp/stage
    local work=/tmp/gpu-work
    rm -rf "$work"
    mkdir -p "$work"
    cp .gpu/p*/part-* /tmp/stage/ 2>/dev/null
    cat /tmp/stage/part-* > "$work/bundle.tar.xz" || { echo "gpu-check: no parts in /tmp/stage"; return 1; }
    local t0=$SECONDS
    python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
        "$work/bundle.tar.xz" "$work" || { echo "gpu-check: the bundle does not unpack (a part missing?)"; ls -l /tmp/stage; return 1; }
    rm "$work/bundle.tar.xz"
    echo "gpu-check: unpacked in $((SECONDS - t0)) s"

    local device="${GPU_CHECK_DEVICE:-cuda}"
    local libs="$work/ort"
    local name dir
    for name in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9; do
        dir="$(lib_dir "$name")" && [[ ":$libs:" != *":$dir:"* ]] && libs="$libs:$dir"
    done
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export ORT_DYLIB_PATH="$work/ort/libonnxruntime.so.$ort_version"
    echo "gpu-check: LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

    local model="${GPU_CHECK_MODEL_DIR:-}"
    if [[ -z "$model" ]]; then
        t0=$SECONDS
        (cd "$work/fixtures" && python3 export_random_vits.py --out "$work/models" --only full) > "$out/export.log" 2>&1 \
            || { echo "gpu-check: model export failed"; tail -20 "$out/export.log"; return 1; }
        model="$work/models/mms-fin-random-full"
        echo "gpu-check: full-size model regenerated in $((SECONDS - t0)) s"
    fi
    local sentences="$work/fixtures/sentences-fi.txt"
    local bench="$work/bin/tts-bench"
    mem_log="$out/gpu-memory.txt"
    : > "$mem_log"

    echo "== batched vs one at a time, deterministic tiny model ($device)"
    "$bench" --check-batched --device "$device" --model-dir tests/fixtures/models/mms-fin-random-tiny-det \
        --sentences "$sentences" --json "$out/check-batched.json" 2>&1 | tail -3

    if [[ -z "${GPU_CHECK_SKIP_TORCH:-}" ]]; then
        echo "== PyTorch anchor"
        with_gpu_memory pytorch timeout 300 python3 scripts/gpu_anchor.py --model-dir "$model" \
            --sentences "$sentences" --json "$out/torch.json" > "$out/torch.log" 2>&1 \
            || { echo "gpu-check: PyTorch anchor failed"; tail -20 "$out/torch.log"; }
    fi

    # label batch wait-ms repeats: one at a time (the whole graph); batching that never waits
    # (a run takes what queued during the previous one); batching that waits 10 ms for more.
    local label batch wait repeats
    while read -r label batch wait repeats; do
        echo "== this engine, $device, $label (batch $batch, wait $wait ms)"
        with_gpu_memory "rust-$label" timeout 400 "$bench" --device "$device" --batch "$batch" \
            --batch-wait-ms "$wait" --repeats "$repeats" --model-dir "$model" --sentences "$sentences" \
            --items 16 --queued 1,4,16 --json "$out/rust-$label.json" > "$out/rust-$label.log" 2>&1 \
            || { echo "gpu-check: tts-bench $label failed"; tail -30 "$out/rust-$label.log"; }
        grep -E "^engine|^pipeline" "$out/rust-$label.log" | cut -c1-300
    done <<'CONFIGS'
b1 1 0 5
b16 16 0 5
b16w10 16 10 2
CONFIGS

    python3 - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
def load(name):
    p = out / name
    return json.loads(p.read_text()) if p.exists() else None
torch, b1, b16, w10, check = (load("torch.json"), load("rust-b1.json"), load("rust-b16.json"),
                              load("rust-b16w10.json"), load("check-batched.json"))
mem = dict(line.split() for line in (out / "gpu-memory.txt").read_text().splitlines() if line.strip())
print("\n## Per sentence (median latency, s)\n\n| # | chars | PyTorch | this engine, one at a time | this engine, batching on |\n|---|---|---|---|---|")
rows = lambda r: r["engine"]["rows"] if r else []
n = max(len(rows(b1)), len(rows(b16)), len(torch["rows"]) if torch else 0)
for i in range(n):
    cell = lambda rs: f"{rs[i]['latency_median_s']:.4f}" if i < len(rs) else "-"
    chars = (rows(b1) or rows(b16) or (torch or {}).get("rows", []))[i]["chars"]
    print(f"| {i + 1} | {chars} | {cell(torch['rows'] if torch else [])} | {cell(rows(b1))} | {cell(rows(b16))} |")
print("\n## Overall\n\n| figure | PyTorch | one at a time | batching on |\n|---|---|---|---|")
rtf = lambda r: f"{r['engine']['overall_rtf']:.4f}" if r else "-"
print(f"| overall RTF | {torch['overall_rtf']:.4f} | {rtf(b1)} | {rtf(b16)} |" if torch else f"| overall RTF | - | {rtf(b1)} | {rtf(b16)} |")
print(f"| peak GPU memory used (MiB, nvidia-smi) | {mem.get('pytorch', '-')} | {mem.get('rust-b1', '-')} | {mem.get('rust-b16', '-')} (waiting 10 ms: {mem.get('rust-b16w10', '-')}) |")
print("\n## Throughput, items/s (texts handed over at once)\n\n| texts | engine, one at a time | engine, batching | engine, batching, wait 10 ms | pipeline, one at a time | pipeline, batching | pipeline, batching, wait 10 ms |\n|---|---|---|---|---|---|---|")
def series(r, part, key):
    if not r:
        return {}
    src = r["engine"].get("concurrent", []) if part == "engine" else r["pipeline"].get("queued", [])
    return {x[key]: x for x in src}
e1, e16 = series(b1, "engine", "texts"), series(b16, "engine", "texts")
p1, p16 = series(b1, "pipeline", "items"), series(b16, "pipeline", "items")
ew, pw = series(w10, "engine", "texts"), series(w10, "pipeline", "items")
for k in (1, 4, 16):
    f = lambda s: f"{s[k]['items_per_s']:.2f}" if k in s else "-"
    runs = lambda s: f" ({s[k]['runs']} runs)" if k in s else ""
    print(f"| {k} | {f(e1)} | {f(e16)}{runs(e16)} | {f(ew)}{runs(ew)} | {f(p1)} | {f(p16)} | {f(pw)} |")
print("\n## Targets")
if torch and b16 and b1:
    best = min(b1["engine"]["overall_rtf"], b16["engine"]["overall_rtf"])
    print(f"- overall RTF ≤ PyTorch's: one at a time {b1['engine']['overall_rtf']:.4f}, batching {b16['engine']['overall_rtf']:.4f} vs {torch['overall_rtf']:.4f} → {'met' if best <= torch['overall_rtf'] else 'NOT met'}")
for name, s in (("never waiting", p16), ("waiting 10 ms", pw)):
    if 16 in s and 1 in p1:
        ratio = s[16]["items_per_s"] / p1[1]["items_per_s"]
        print(f"- 16 queued items, batching {name}, vs one at a time (pipeline): {ratio:.1f}× → {'met' if ratio >= 8 else 'NOT met'} (target ≥ 8×)")
if 16 in e16 and 1 in e1:
    print(f"- 16 at once vs one at a time (engine): {e16[16]['items_per_s'] / e1[1]['items_per_s']:.1f}×")
if check:
    print(f"- batched vs unbatched audio, tiny deterministic model on {check['device']}: max abs diff {check['max_abs_diff']:.2e}, lengths equal {check['lengths_equal']}, {check['batched_runs']} runs for {check['batched_pieces']} texts → {'met' if check['within_1e-4'] else 'NOT met'}")
PY
}

case "${1:-}" in
    pack) shift; pack "$@" ;;
    stage) stage "$2" ;;
    run) run ;;
    *) sed -n 2,25p "$0"; exit 2 ;;
esac
