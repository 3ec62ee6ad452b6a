#!/usr/bin/env bash
# Soak benchmark for the hardening work of issue 17 (a manual tool, not a test).
#
# Builds the release server, starts it on a free loopback port with a
# throwaway database and audio directory, and runs scripts/soak.py against it:
# mixed API load, speech requests with slow and vanishing readers, stalled
# WebSocket readers, 1,000 slow-header connections and a /health prober, all
# at once, while the server's RSS is sampled. The driver prints a summary and
# PASS/FAIL against the targets (peak RSS < 400 MB, /health p99 < 50 ms,
# zero 5xx); this script exits with the driver's status.
#
# Usage: scripts/soak.sh [DURATION_SECONDS] [MODEL_DIR]
#   DURATION_SECONDS  length of the load (default 600)
#   MODEL_DIR         MMS-TTS model (default ../shared/fixtures/models/mms-fin-random-full,
#                     relative to the repository root; when that is missing,
#                     tests/fixtures/models/mms-fin-random-tiny)
#   ORT_DYLIB_PATH    ONNX Runtime library (default: scripts/install-onnxruntime.sh)
#   SOAK_ARGS         extra options for scripts/soak.py, e.g. "--seed 1 --api-workers 4"
#   MALLOC_ARENA_MAX  glibc malloc arenas for the server (default 2, as start.sh and the image)
#   MALLOC_MMAP_THRESHOLD_  glibc's mmap threshold for the server (default 131072, as start.sh
#                     and the image)
#   SOAK_SERVER_ENV   extra NAME=value settings for the server, e.g. "SPEECH_SLOW_READER_SECONDS=5"
set -euo pipefail

caller_dir="$(pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

duration="${1:-600}"
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [[ "$duration" -eq 0 ]]; then
    echo "soak: DURATION_SECONDS must be a positive whole number, not '$duration'" >&2
    exit 2
fi

if [[ $# -ge 2 ]]; then
    model="$2"
    # A relative path is taken from where the script was called, else from the repository root.
    if [[ "$model" != /* ]]; then
        if [[ -d "$caller_dir/$model" ]]; then
            model="$caller_dir/$model"
        else
            model="$repo/$model"
        fi
    fi
    if [[ ! -d "$model" ]]; then
        echo "soak: model directory $2 not found" >&2
        exit 2
    fi
else
    model="$repo/../shared/fixtures/models/mms-fin-random-full"
    if [[ ! -d "$model" ]]; then
        model="$repo/tests/fixtures/models/mms-fin-random-tiny"
    fi
fi
model="$(cd "$model" && pwd)"

cargo build --release --locked --bin last-whisper >&2
server="$repo/target/release/last-whisper"

ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH

work="$(mktemp -d /tmp/last-whisper-soak.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# Started from the work directory with a clean environment, so neither a .env
# file nor the caller's settings (API keys, rate limits) change the run, and
# nothing is written into the repository. The limits are the defaults.
(
    cd "$work"
    exec env -i PATH="$PATH" HOME="$HOME" \
        HOST=127.0.0.1 PORT="$port" LOG_LEVEL=warn \
        DATABASE_URL="sqlite:///$work/soak.db" AUDIO_DIR="$work/audio" \
        TTS_PROVIDER=local TTS_MODEL_DIR="$model" TTS_DEVICE=cpu \
        ORT_DYLIB_PATH="$ORT_DYLIB_PATH" \
        MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
        MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}" \
        ${SOAK_SERVER_ENV:-} \
        "$server" >"$work/server.log" 2>&1
) &
server_pid=$!

stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -INT "$server_pid"
        # Graceful shutdown finishes in-flight requests and the current
        # synthesis; give it a minute before insisting.
        for _ in $(seq 1 600); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "soak: the server did not stop within 60 s of SIGINT; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

health_ok() {
    python3 - "$base/health" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

for _ in $(seq 1 120); do
    if health_ok; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "soak: the server did not start; its log:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
if ! health_ok; then
    echo "soak: the server did not answer /health within 60 s; its log:" >&2
    tail -n 50 "$work/server.log" >&2
    exit 1
fi
echo "soak: server $base (pid $server_pid), model $model, work dir $work" >&2

status=0
# SOAK_ARGS is split into words on purpose.
# shellcheck disable=SC2086
python3 scripts/soak.py --base "$base" --pid "$server_pid" --duration "$duration" ${SOAK_ARGS:-} \
    || status=$?

if grep -q "panicked" "$work/server.log"; then
    echo "soak: the server panicked:" >&2
    grep -n -A3 "panicked" "$work/server.log" | head -n 40 >&2
fi
if [[ -s "$work/server.log" ]]; then
    echo "soak: last lines of the server log (LOG_LEVEL=warn):" >&2
    tail -n 20 "$work/server.log" >&2
fi
exit "$status"
