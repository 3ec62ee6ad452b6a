#!/usr/bin/env bash
# Same-run A/B of two builds of this service on copies of one SQLite database (not a test): each
# round starts A, then B, each on a fresh copy, and runs wrk -t2 -c16 for DUR seconds on each read
# below, printing req/s, p50, p99 and the server's CPU time per request (user + system; steadier
# than req/s when the machine's speed drifts). Run at least two rounds and
# compare within a round: figures from different days on this 2-core machine vary by 20 % and
# more, and only a same-run comparison says what a change did.
#
#   scripts/bench-ab.sh /tmp/lw-old target/release/last-whisper
#   ROUNDS=3 DUR=5 scripts/bench-ab.sh A B .cache/growth/sqlite-i100000-a1000-s22-<hash>.db
#
# A and B are release binaries (build the older one in a worktree: `git worktree add /tmp/old
# REV && (cd /tmp/old && cargo build --release)`); the database defaults to the 1k-attempt file
# scripts/bench-growth.sh generates under .cache/growth/ (run that first). The binaries run
# without an engine on a free loopback port; a database with attempts lacking word outcomes
# gets them in the background first (seconds at 1k, minutes at 1M), which the first round
# then measures too. Environment: DUR (5), ROUNDS (2), PATHS (space-separated), WRITERS (0: with
# N > 0, N more connections post attempts to the newest item during each read, as learners
# practising while others read; their rate is printed too).
# Needs wrk, curl and python3.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
a="$(realpath "${1:?usage: bench-ab.sh BIN_A BIN_B [SQLITE_DB]}")"
b="$(realpath "${2:?usage: bench-ab.sh BIN_A BIN_B [SQLITE_DB]}")"
db="${3:-$(ls "$repo"/.cache/growth/sqlite-i100000-a1000-s*.db 2>/dev/null | head -1)}"
[[ -f "$db" ]] || { echo "no database (run scripts/bench-growth.sh --sizes 1k first, or give one)" >&2; exit 1; }
db="$(realpath "$db")"
dur="${DUR:-5}"
rounds="${ROUNDS:-2}"
read -r -a paths <<< "${PATHS:-/v1/items?per_page=20 /v1/stats/practice-log /v1/attempts?per_page=20}"
writers="${WRITERS:-0}"
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work="$(mktemp -d /tmp/bench-ab.XXXXXX)"
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# User plus system time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

echo "A: $a ($(sha256sum "$a" | cut -c1-12))"
echo "B: $b ($(sha256sum "$b" | cut -c1-12))"
echo "database: $db; wrk -t2 -c16 -d${dur}s; $(nproc) cores"
for round in $(seq "$rounds"); do
    for who in A B; do
        bin="$a"; [[ $who == B ]] && bin="$b"
        rm -rf "$work/run"; mkdir -p "$work/run"; cp "$db" "$work/run/db.db"
        (cd "$work/run" && exec env -i PATH="$PATH" DATABASE_URL="sqlite:///$work/run/db.db" \
            AUDIO_DIR="$work/run/audio" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
            TTS_MODEL_DIR="$work/run/no-model" "$bin" > "$work/run/log" 2>&1) &
        server=$!
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
        curl -sf "http://127.0.0.1:$port/health" > /dev/null || { echo "$who did not start:" >&2; cat "$work/run/log" >&2; exit 1; }
        for path in "${paths[@]}"; do
            curl -s -o /dev/null "http://127.0.0.1:$port$path"
            writer=""
            if (( writers > 0 )); then
                item="$(curl -s "http://127.0.0.1:$port/v1/items?per_page=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')"
                printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
                    "'{\"item_id\": $item, \"text\": \"hyvää huomenta kaikille täällä\"}'" > "$work/post.lua"
                wrk -t1 -c"$writers" -d"${dur}s" -s "$work/post.lua" "http://127.0.0.1:$port/v1/attempts" > "$work/writes" &
                writer=$!
            fi
            ticks_before="$(cpu_ticks "$server")"
            out="$(wrk -t2 -c16 -d"${dur}s" --latency "http://127.0.0.1:$port$path")"
            ticks="$(( $(cpu_ticks "$server") - ticks_before ))"
            if [[ -n "$writer" ]]; then
                wait "$writer"
                out+=$'\n'"writes $(awk '/Requests\/sec/ {print $2}' "$work/writes")"
            fi
            printf 'round %s  %s  %-28s %s\n' "$round" "$who" "$path" \
                "$(awk -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '/requests in/ {n=$1} /Requests\/sec/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
                    /^writes/ {w = sprintf("  attempts posted %.1f/s", $2)}
                    END {printf "%8.1f req/s  p50 %-8s p99 %-8s server CPU %.0f µs/req%s", r, p50, p99, ticks / hz * 1e6 / n, w}' <<< "$out")"
        done
        kill "$server"; wait "$server" 2> /dev/null || true; server=""
    done
done
