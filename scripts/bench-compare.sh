#!/usr/bin/env bash
# Same-run throughput comparison with the ORIGINAL Python/FastAPI service (not a test). Each run
# starts a fresh instance of both services on fresh SQLite files, creates the same 100 items in
# each through POST /v1/items/bulk, then runs wrk -t2 -c16 for DUR seconds on
# `GET /v1/items?per_page=20` and `POST /v1/attempts` (an existing item id), the original first on
# odd runs and this service first on even ones, and prints req/s, the ratio, and min–max over the
# runs. Both run on the same machine in the same run, so the ratios compare; absolute req/s
# don't carry across machines.
#   scripts/bench-compare.sh /work/original          # 3 runs of 10 s per endpoint and service
#   RUNS=1 DUR=3 LW_BIN=/tmp/last-whisper scripts/bench-compare.sh /work/original
# ORIGINAL_DIR is a tree of the original at its spec-era commit 9e32ed2 (docs: api-contract.md §0)
# with a venv in ORIGINAL_DIR/.venv; it is never copied into this repository. To prepare it:
#   git clone https://github.com/coachpo/last-whisper-backend lwb   # or any copy of that history
#   mkdir /work/original && git -C lwb archive 9e32ed2 | tar -x -C /work/original
#   cd /work/original && python3 -m venv .venv && .venv/bin/pip install . \
#       && .venv/bin/pip uninstall -y last-whisper-backend        # keep its dependencies only
# The original runs as uvicorn, 1 worker (uvloop + httptools from uvicorn[standard]), no access
# log, log level warning, ENVIRONMENT=production. It needs no cloud credentials here: TTS_PROVIDER
# =azure with a dummy key starts its engine offline, and TTS_SUPPORTED_LANGUAGES='["none"]' makes
# it refuse every item's synthesis at once (the item turns tts_status "failed"), so nothing talks
# to the network or synthesises in the background during the measurement. This service runs like
# scripts/bench-api.sh runs it: the release binary without an engine.
# Environment: LW_BIN (default target/release/last-whisper), DUR (10), RUNS (or the 2nd argument,
# 3), ITEMS (100, at most 100), PORT_ORIG and PORT_LW (default: free ports picked per run; other
# benchmarks may be running), KEEP=1 keeps the folder with the servers' logs and wrk's outputs,
# DB_DIR (/dev/shm where writable, else $TMPDIR or /tmp) holds the databases and that folder.
# Why tmpfs: the original commits in SQLite's default rollback-journal mode (synchronous=FULL,
# an fsync on every commit) from an `async def` route, so each POST blocks its event loop on the
# disk; on a busy virtual disk that measures the disk, not the service (a smoke run on a loaded
# 2-core machine: 45 req/s on ext4, 204 on tmpfs). This service runs WAL, synchronous=NORMAL.
# DB_DIR=/tmp measures both on the disk.
# Needs wrk (Debian package: apt-get install -y wrk), curl and python3.
set -euo pipefail
orig="$(cd "${1:?usage: bench-compare.sh ORIGINAL_DIR [RUNS]}" && pwd)"
runs="${2:-${RUNS:-3}}"
dur="${DUR:-10}"
items="${ITEMS:-100}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
lw_bin="${LW_BIN:-$repo/target/release/last-whisper}"
uvicorn="$orig/.venv/bin/uvicorn"
[[ -x "$lw_bin" ]] || { echo "no binary at $lw_bin (cargo build --release, or set LW_BIN)" >&2; exit 1; }
[[ -x "$uvicorn" && -f "$orig/app/main.py" ]] || { echo "$orig is not a prepared original (app/main.py, .venv/bin/uvicorn)" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
(( items >= 1 && items <= 100 )) || { echo "ITEMS must be 1..100 (one bulk request)" >&2; exit 1; }

if [[ -z "${DB_DIR:-}" ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]]; then DB_DIR=/dev/shm; else DB_DIR="${TMPDIR:-/tmp}"; fi
fi
top="$(mktemp -d -p "$DB_DIR" bench-compare.XXXXXX)"
pid_o="" pid_l=""
stop() { # stop PID: TERM, wait up to 5 s, then KILL
    [[ -n "$1" ]] || return 0
    kill "$1" 2> /dev/null || return 0
    for _ in $(seq 50); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
    kill -9 "$1" 2> /dev/null || true
}
cleanup() {
    stop "$pid_o"; stop "$pid_l"
    if [[ "${KEEP:-0}" == 1 ]]; then echo "logs kept in $top"; else rm -rf "$top"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_health() { # PORT PID NAME LOG
    for _ in $(seq 150); do
        curl -sf "127.0.0.1:$1/health" > /dev/null && return 0
        kill -0 "$2" 2> /dev/null || break
        sleep 0.2
    done
    echo "$3 did not start; its log:" >&2; tail -n 30 "$4" >&2; exit 1
}

# Creates the items on PORT, writes a wrk Lua script posting an attempt for one of them (the
# 7th created item, its id as that service returned it), prints that id.
seed() { # PORT LUA
    python3 - "$1" "$2" "$items" <<'PY'
import json, sys, urllib.request
port, lua, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
items = [{"locale": "fi", "text": f"Tämä on harjoituslause numero {k} kaupungissa.",
          "difficulty": 1 + k % 5, "tags": ["arki"]} for k in range(n)]
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/items/bulk",
                             data=json.dumps({"items": items}).encode(),
                             headers={"Content-Type": "application/json"})
body = json.load(urllib.request.urlopen(req))
created = body["created_items"]
assert len(created) == n, f"created {len(created)} of {n}: {body.get('failed_items')}"
item_id = created[min(6, n - 1)]["id"]
attempt = json.dumps({"item_id": item_id, "text": "Hyvää huomenta kaikille täällä"}, ensure_ascii=False)
with open(lua, "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write(f"wrk.body = {json.dumps(attempt, ensure_ascii=False)}\n")
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
print(item_id)
PY
}

# wrk once; prints req/s; the full output goes to LOG, errors and non-2xx to stderr.
bench() { # LOG ARGS...
    local log="$1"; shift
    wrk -t2 -c16 -d"${dur}s" "$@" > "$log" 2>&1 || { echo "wrk failed:" >&2; cat "$log" >&2; exit 1; }
    grep -E "Non-2xx|Socket errors" "$log" | sed 's/^/    warning: /' >&2 || true
    awk '/^Requests\/sec:/ { print $2; found = 1 } END { exit !found }' "$log" \
        || { echo "no Requests/sec in wrk's output:" >&2; cat "$log" >&2; exit 1; }
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

results="$top/results"
: > "$results"
echo "original: $orig ($("$orig/.venv/bin/python" -c 'import fastapi, uvicorn; print(f"fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}")'))"
echo "this service: $lw_bin"
echo "wrk -t2 -c16 -d${dur}s, $items items, $runs run(s), $(nproc) CPUs, databases in $top"
for run in $(seq "$runs"); do
    dir="$top/run$run"
    mkdir -p "$dir/orig" "$dir/lw"
    port_o="${PORT_ORIG:-$(free_port)}"
    port_l="${PORT_LW:-$(free_port)}"
    for port in "$port_o" "$port_l"; do
        ! curl -s -o /dev/null "127.0.0.1:$port/" || { echo "port $port is already in use" >&2; exit 1; }
    done
    (cd "$dir/orig" && exec env DATABASE_URL="sqlite:///$dir/orig/orig.db" AUDIO_DIR="$dir/orig/audio" \
        ENVIRONMENT=production LOG_LEVEL=warning TTS_PROVIDER=azure AZURE_SPEECH_KEY=offline \
        AZURE_SPEECH_REGION=offline TTS_SUPPORTED_LANGUAGES='["none"]' \
        "$uvicorn" app.main:app --app-dir "$orig" --host 127.0.0.1 --port "$port_o" --workers 1 \
        --no-access-log --log-level warning) > "$dir/orig/server.log" 2>&1 &
    pid_o=$!
    (cd "$dir/lw" && exec env DATABASE_URL="sqlite:///$dir/lw/lw.db" AUDIO_DIR="$dir/lw/audio" PORT="$port_l" \
        HOST=127.0.0.1 LOG_LEVEL=warn TTS_MODEL_DIR="$dir/lw/no-model" "$lw_bin") \
        > "$dir/lw/server.log" 2>&1 &
    pid_l=$!
    wait_health "$port_o" "$pid_o" original "$dir/orig/server.log"
    wait_health "$port_l" "$pid_l" "this service" "$dir/lw/server.log"
    id_o="$(seed "$port_o" "$dir/orig/post.lua")"
    id_l="$(seed "$port_l" "$dir/lw/post.lua")"
    sleep 1 # let the original's background TTS submissions (refused at once) settle
    if (( run % 2 )); then order="orig lw"; else order="lw orig"; fi
    echo "== run $run/$runs (order: $order; attempt item id: original $id_o, this service $id_l)"
    for ep in get post; do
        for who in $order; do
            if [[ $who == orig ]]; then port=$port_o; else port=$port_l; fi
            if [[ $ep == get ]]; then
                rps=$(bench "$dir/$who/wrk-$ep.txt" "http://127.0.0.1:$port/v1/items?per_page=20")
            else
                rps=$(bench "$dir/$who/wrk-$ep.txt" -s "$dir/$who/post.lua" "http://127.0.0.1:$port/v1/attempts")
            fi
            declare "rps_${ep}_${who}=$rps"
        done
        o="rps_${ep}_orig" l="rps_${ep}_lw"
        r=$(ratio "${!l}" "${!o}")
        if [[ $ep == get ]]; then name="GET /v1/items?per_page=20"; else name="POST /v1/attempts"; fi
        printf '  %-26s original %9.1f req/s   this service %9.1f req/s   ×%s\n' "$name" "${!o}" "${!l}" "$r"
        echo "$ep ${!o} ${!l} $r" >> "$results"
    done
    echo "  RSS after run: original $(ps -o rss= -p "$pid_o" | tr -d ' ') kB, this service $(ps -o rss= -p "$pid_l" | tr -d ' ') kB"
    stop "$pid_o"; stop "$pid_l"
    pid_o="" pid_l=""
done
echo "== summary over $runs run(s): min–max"
python3 - "$results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
names = {"get": "GET /v1/items?per_page=20", "post": "POST /v1/attempts"}
for ep, name in names.items():
    o = [float(r[1]) for r in rows if r[0] == ep]
    l = [float(r[2]) for r in rows if r[0] == ep]
    x = [float(r[2]) / float(r[1]) for r in rows if r[0] == ep]
    if not o:
        continue
    print(f"  {name:<26} this service {min(l):,.0f}–{max(l):,.0f} req/s vs original "
          f"{min(o):,.0f}–{max(o):,.0f} (×{min(x):.1f}–{max(x):.1f})")
PY
