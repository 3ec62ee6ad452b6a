#!/usr/bin/env bash
# Fuzz the whole HTTP API from its own OpenAPI document with Schemathesis.
#
# A manual tool, not part of the test suite. It installs Schemathesis (PyPI)
# into a virtualenv, builds and starts the server on a free loopback port with
# a throwaway database and audio directory and the tiny fixture MMS model
# (so speech endpoints really synthesise), fetches /openapi.json, generates
# requests for every documented operation, and fails on any 5xx answer or a
# server that stops answering. The server is stopped at the end.
#
# Usage: scripts/fuzz-api.sh [extra `schemathesis run` options]
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   FUZZ_SEED          fixed seed for a reproducible run (default: random)
#   FUZZ_PROFILE       cargo profile of the server: debug (default) or release
#   FUZZ_VENV          virtualenv for Schemathesis (default /tmp/last-whisper-fuzz-venv)
#   FUZZ_CHECKS        schemathesis checks (default not_a_server_error); e.g. `all`
#                      also compares answers with the document
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

venv="${FUZZ_VENV:-/tmp/last-whisper-fuzz-venv}"
profile="${FUZZ_PROFILE:-debug}"
max_examples="${FUZZ_MAX_EXAMPLES:-50}"
checks="${FUZZ_CHECKS:-not_a_server_error}"

if [[ ! -x "$venv/bin/schemathesis" ]]; then
    echo "fuzz-api: installing schemathesis into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis>=4,<5"
fi

ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH

if [[ "$profile" == release ]]; then
    cargo build --release --bin last-whisper >&2
else
    cargo build --bin last-whisper >&2
fi
server="$repo/target/$profile/last-whisper"

work="$(mktemp -d /tmp/last-whisper-fuzz.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# Documented 503s: the legacy task API refuses blank texts and languages
# outside TTS_SUPPORTED_LANGUAGES with 503 (contract §7.5); everywhere else a
# 5xx is a failure.
cat >"$work/schemathesis.toml" <<'EOF'
[[operations]]
include-path-regex = "^/api/v1/tts/convert"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
EOF

# Started from the work directory so nothing is written into the repository.
(
    cd "$work"
    exec env -i PATH="$PATH" HOME="$HOME" \
        ENVIRONMENT=development HOST=127.0.0.1 PORT="$port" LOG_LEVEL=warn \
        DATABASE_URL="sqlite:///$work/db/dictation.db" AUDIO_DIR="$work/audio" \
        TTS_PROVIDER=local TTS_MODEL_DIR="$repo/tests/fixtures/models/mms-fin-random-tiny-det" \
        TTS_DEVICE=cpu TTS_THREAD_COUNT=1 ORT_DYLIB_PATH="$ORT_DYLIB_PATH" \
        "$server" >"$work/server.log" 2>&1
) &
server_pid=$!
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

for _ in $(seq 1 120); do
    if curl -fsS "$base/health" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "fuzz-api: the server did not start; its log:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "fuzz-api: server $base (pid $server_pid), work dir $work" >&2

seed_args=()
if [[ -n "${FUZZ_SEED:-}" ]]; then
    seed_args=(--seed "$FUZZ_SEED")
fi

status=0
(
    cd "$work"
    "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
        --checks "$checks" \
        --max-examples "$max_examples" \
        --workers 2 \
        --request-timeout 60 \
        --generation-database none \
        --no-color \
        "${seed_args[@]}" "$@"
) || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fuzz-api: the server died during the run; its log:" >&2
    tail -n 50 "$work/server.log" >&2
    exit 1
fi
if grep -q "panicked" "$work/server.log"; then
    echo "fuzz-api: the server panicked:" >&2
    grep -n -A3 "panicked" "$work/server.log" >&2
    status=1
fi
if [[ "$status" -eq 0 ]]; then
    stop_server
    rm -rf "$work"
    echo "fuzz-api: no server errors" >&2
else
    echo "fuzz-api: schemathesis exit status $status (server log: $work/server.log)" >&2
fi
exit "$status"
