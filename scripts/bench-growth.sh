#!/usr/bin/env bash
# How the read endpoints hold up as the history grows (issue 22, "fast at any
# size"; not a test). For each size it fills a database with
# scripts/datagen.py (N items, M attempts over two years), starts the release
# binary on it without an engine, warms each endpoint up, runs
#   wrk -t2 -c16 -d${DUR}s --latency
# against it and prints one table: size, backend, endpoint, requests done,
# req/s, p50, p99 (ms; "-" when no request finished), non-2xx responses,
# socket errors, the first (cold) request's time, the server's RSS after the
# run and its peak, and the machine's 1-minute load average after the run
# (wrk, the server and PostgreSQL share the cores: a high load from anything
# else makes the figures worth little).
#
#   scripts/bench-growth.sh                                # SQLite, 1k 100k 1M attempts, 100k items
#   scripts/bench-growth.sh --sizes "1k 100k 1M:5"         # SIZE[:SECONDS] overrides DUR for one size
#   scripts/bench-growth.sh --postgres "$(scripts/start-postgres.sh)"   # SQLite and PostgreSQL
#   LW_BIN=/tmp/lw-head DUR=5 scripts/bench-growth.sh --sizes 100k --no-sqlite --postgres URL
#
# Options: --sizes "LIST" (attempt counts; k/M suffixes; default "1k 100k 1M"),
# --items N (default 100k, the same for every size), --seed S (22),
# --postgres ADMIN_URL (a superuser URL; one database per size is generated
# once as lwg_<key> and each run works on a fresh copy made with
# CREATE DATABASE ... TEMPLATE, dropped afterwards; `postgres` itself is never
# touched), --no-sqlite, --port P (18802).
# Environment: LW_BIN (the server, default target/release/last-whisper),
# DUR (seconds per endpoint, 10), CONNS (16), THREADS (2), MAX_AGE_DAYS (7).
#
# Generated SQLite files are kept under .cache/growth/ (key: items, attempts,
# seed and a hash of datagen.py, so a changed generator regenerates) and each
# run works on a copy, so a binary with newer migrations never changes the
# cache. Data older than MAX_AGE_DAYS is regenerated: the history ends at the
# time it was generated, and /v1/stats/progress looks at the last 30 days.
# Before measuring, it waits until the server's background pass has given
# every generated attempt its word outcomes (one-time work after the first
# start on data written without them; its duration is in the notes). On
# PostgreSQL that pass leaves a dead row version per attempt, so the script
# then runs VACUUM (ANALYZE) itself, which autovacuum would otherwise start in
# the middle of a measurement: the figures are of a database in its steady
# state, not of its one-time clean-up (the vacuum's duration is in the notes).
# Needs python3, curl, wrk (installed with apt-get when missing) and, for
# PostgreSQL, psql.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${LW_BIN:-$repo/target/release/last-whisper}"
dur="${DUR:-10}"
conns="${CONNS:-16}"
threads="${THREADS:-2}"
max_age="${MAX_AGE_DAYS:-7}"
sizes="1k 100k 1M"
items="100k"
seed=22
pg_admin=""
sqlite=1
port=18802
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --items) items="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --postgres) pg_admin="$2"; shift 2 ;;
        --no-sqlite) sqlite=0; shift ;;
        --port) port="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-growth: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -x "$bin" ]] || { echo "bench-growth: no server binary at $bin (build it or set LW_BIN)" >&2; exit 1; }
[[ "$bin" = /* ]] || bin="$(pwd)/$bin"
if ! command -v wrk > /dev/null; then
    sudo_cmd=""
    [[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"
    echo "bench-growth: installing wrk ..." >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q wrk >&2 ||
        { $sudo_cmd apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q wrk >&2; }
fi

# 1k -> 1000, 1M -> 1000000.
count() {
    case "$1" in
        *[kK]) echo $(( ${1%?} * 1000 )) ;;
        *M) echo $(( ${1%?} * 1000000 )) ;;
        *) echo $(( $1 )) ;;
    esac
}
n_items="$(count "$items")"
cache="$repo/.cache/growth"
mkdir -p "$cache"
gen_hash="$(sha256sum "$repo/scripts/datagen.py" | cut -c1-10)"
work="$(mktemp -d /tmp/lw-growth.XXXXXX)"
table="$work/table.tsv"
pid=""
run_db=""

stop_server() {
    if [[ -n "$pid" ]]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    fi
}
cleanup() {
    stop_server
    if [[ -n "$run_db" ]]; then
        psql -X -q -d "$pg_admin" -c "DROP DATABASE IF EXISTS \"$run_db\"" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# The URL of database $2 on the server of admin URL $1.
pg_url() {
    python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + sys.argv[2], u.query, u.fragment)))
PY
}

fresh() { [[ -f "$1" ]] && [[ -z "$(find "$1" -mtime +"$max_age")" ]]; }

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# Generates (or finds in the cache) the SQLite database for M attempts;
# prints the path of the cached file.
sqlite_data() {
    local m="$1" key="sqlite-i${n_items}-a$1-s${seed}-${gen_hash}"
    local db="$cache/$key.db" meta="$cache/$key.json"
    if [[ -f "$db" ]] && fresh "$meta"; then
        log "sqlite $m attempts: cached $db (generated $(json_field "$meta" now))"
    else
        rm -f "$cache/sqlite-i${n_items}-a$1-s${seed}-"*
        log "sqlite $m attempts: generating ..."
        rm -f "$work/gen.db"
        LW_BIN="$bin" python3 "$repo/scripts/datagen.py" "sqlite:///$work/gen.db" \
            --items "$n_items" --attempts "$m" --seed "$seed" > "$work/gen.json"
        mv "$work/gen.db" "$db"
        mv "$work/gen.json" "$meta"
        log "sqlite $m attempts: generated in $(json_field "$meta" total_s) s"
    fi
    echo "$db"
}

# Generates (or finds) the PostgreSQL template database for M attempts;
# prints its name.
pg_data() {
    local m="$1" prefix="lwg_i${n_items}_a$1_s${seed}_"
    local name="${prefix}${gen_hash}" meta="$cache/pg-i${n_items}-a$1-s${seed}-${gen_hash}.json"
    local exists
    exists="$(psql -X -A -t -d "$pg_admin" -c "SELECT 1 FROM pg_database WHERE datname = '$name'")"
    if [[ "$exists" == 1 ]] && fresh "$meta"; then
        log "postgres $m attempts: cached database $name (generated $(json_field "$meta" now))"
    else
        local old
        for old in $(psql -X -A -t -d "$pg_admin" -c \
            "SELECT datname FROM pg_database WHERE datname LIKE '${prefix//_/\\_}%'"); do
            psql -X -q -d "$pg_admin" -c "DROP DATABASE \"$old\"" >&2
        done
        rm -f "$cache/pg-i${n_items}-a$1-s${seed}-"*
        log "postgres $m attempts: generating $name ..."
        psql -X -q -d "$pg_admin" -c "CREATE DATABASE \"$name\"" >&2
        LW_BIN="$bin" python3 "$repo/scripts/datagen.py" "$(pg_url "$pg_admin" "$name")" \
            --items "$n_items" --attempts "$m" --seed "$seed" > "$work/gen.json"
        mv "$work/gen.json" "$meta"
        log "postgres $m attempts: generated in $(json_field "$meta" total_s) s"
    fi
    echo "$name"
}

start_server() {
    local url="$1" t0
    mkdir -p "$work/srv"
    t0=$(date +%s%N)
    # cwd = an empty folder, so no .env is read; no TTS model, so no engine.
    (cd "$work/srv" && exec env DATABASE_URL="$url" AUDIO_DIR="$work/srv/audio" PORT="$port" \
        HOST=127.0.0.1 LOG_LEVEL=warn TTS_MODEL_DIR="$work/srv/no-model" "$bin") \
        > "$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1200); do
        curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "bench-growth: server died" >&2; exit 1; }
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$port/health" > /dev/null ||
        { echo "bench-growth: server did not start in 120 s" >&2; exit 1; }
    startup_s=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.2f", ns / 1e9 }')
}

# Waits until the server has given every attempt its word outcomes (a
# background pass after start on data written without them, as generated
# data is); prints the seconds it took. Binaries before that column: 0.
wait_backfill() {
    local count t0=$(date +%s)
    while :; do
        if [[ "$1" == sqlite ]]; then
            count=$(python3 -c 'import sqlite3,sys
try: print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM attempts WHERE word_outcomes IS NULL").fetchone()[0])
except sqlite3.OperationalError: print(0)' "$2")
        else
            count=$(psql -X -qAt -d "$2" -c "SELECT COUNT(*) FROM attempts WHERE word_outcomes IS NULL" 2>/dev/null || echo 0)
        fi
        [[ "$count" == 0 ]] && break
        (( $(date +%s) - t0 < 1800 )) || { echo "bench-growth: backfill still running after 30 min" >&2; break; }
        sleep 1
    done
    echo $(( $(date +%s) - t0 ))
}

to_ms() { # wrk's "1.23ms" / "456.00us" / "2.01s" / "1.50m" -> ms
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000 }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.0f", v * 60000 }
        else printf "-" }'
}

rss_mb() { awk -v k="$1" '$1 == k":" { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

# Waits until the server has worked off what the last run left queued (wrk
# stops sending, but requests already taken keep the server and its database
# busy, which would be charged to the next endpoint's first request): a
# cheap read through the same pool must answer within 50 ms twice running.
wait_idle() {
    local i t fast=0
    for i in $(seq 600); do
        t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/v1/stats/items/1")
        if awk -v t="$t" 'BEGIN { exit !(t < 0.05) }'; then
            fast=$((fast + 1))
            [[ "$fast" -ge 2 ]] && return 0
        else
            fast=0
        fi
        sleep 0.2
    done
    log "  the server was still busy after $i probes"
}

# Runs every endpoint against the server now started; appends to the table.
bench() {
    local size="$1" backend="$2" hot="$3" secs="$4" path url out first label
    local endpoints=(
        "/v1/stats/summary"
        "/v1/stats/practice-log"
        "/v1/stats/progress"
        "/v1/stats/items/$hot"
        "/v1/stats/words"
        "/v1/items?per_page=20"
        "/v1/attempts?per_page=20"
    )
    for path in "${endpoints[@]}"; do
        url="http://127.0.0.1:$port$path"
        wait_idle
        # Cold: the first request on this server; then one more to warm up.
        first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$url")
        [[ "${first%% *}" == 200 ]] || log "  $path: first request answered ${first%% *}"
        curl -s -o /dev/null "$url"
        out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 60s --latency "$url")
        local reqs rps p50 p99 non2xx errors
        reqs=$(awk '/requests in/ { print $1 }' <<< "$out")
        rps=$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' <<< "$out")
        p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<< "$out")")
        p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<< "$out")")
        non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<< "$out")
        errors=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<< "$out")
        if [[ "${reqs:-0}" == 0 ]]; then p50="-"; p99="-"; fi
        label="$path"
        [[ "$path" == /v1/stats/items/* ]] && label="/v1/stats/items/{hot}"
        printf '%s\t' "$size" "$backend" "$label" "${reqs:-0}" "${rps:-0}" "$p50" "$p99" \
            "${non2xx:-0}" "${errors:-0}" \
            "$(awk -v t="${first#* }" 'BEGIN { printf "%.1f", t * 1000 }')" \
            "$(rss_mb VmRSS)" "$(rss_mb VmHWM)" >> "$table"
        cut -d' ' -f1 /proc/loadavg >> "$table"
        log "  $(tail -1 "$table" | tr '\t' ' ')"
    done
}

log "binary $bin ($(sha256sum "$bin" | cut -c1-12)), $(nproc) cores, wrk -t$threads -c$conns, DUR=${dur}s, items $n_items, seed $seed"
notes=()
for spec in $sizes; do
    m="$(count "${spec%%:*}")"
    secs="$dur"
    [[ "$spec" == *:* ]] && secs="${spec#*:}"
    if [[ "$sqlite" == 1 ]]; then
        db="$(sqlite_data "$m")"
        meta="${db%.db}.json"
        cp "$db" "$work/run.db"
        start_server "sqlite:///$work/run.db"
        backfill_s=$(wait_backfill sqlite "$work/run.db")
        log "sqlite $m attempts: server up in ${startup_s}s, word outcomes backfilled in ${backfill_s}s, hot item $(json_field "$meta" hot_item_id) ($(json_field "$meta" hot_item_attempts) attempts)"
        notes+=("sqlite $m: startup ${startup_s}s, backfill ${backfill_s}s, generation $(json_field "$meta" total_s)s, hot item $(json_field "$meta" hot_item_id) with $(json_field "$meta" hot_item_attempts) attempts, data ending $(json_field "$meta" now)")
        bench "$m" sqlite "$(json_field "$meta" hot_item_id)" "$secs"
        stop_server
        rm -f "$work/run.db" "$work/run.db-wal" "$work/run.db-shm"
    fi
    if [[ -n "$pg_admin" ]]; then
        template="$(pg_data "$m")"
        meta="$cache/pg-i${n_items}-a${m}-s${seed}-${gen_hash}.json"
        run_db="lwg_run_$$"
        PGOPTIONS="-c client_min_messages=warning" psql -X -q -d "$pg_admin" \
            -c "DROP DATABASE IF EXISTS \"$run_db\"" \
            -c "CREATE DATABASE \"$run_db\" TEMPLATE \"$template\"" >&2
        start_server "$(pg_url "$pg_admin" "$run_db")"
        backfill_s=$(wait_backfill postgres "$(pg_url "$pg_admin" "$run_db")")
        t0=$(date +%s%N)
        psql -X -q -d "$(pg_url "$pg_admin" "$run_db")" -c "VACUUM (ANALYZE)" >&2
        vacuum_s=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
        log "postgres $m attempts: server up in ${startup_s}s, word outcomes backfilled in ${backfill_s}s, vacuumed in ${vacuum_s}s"
        notes+=("postgres $m: startup ${startup_s}s, backfill ${backfill_s}s, vacuum ${vacuum_s}s, generation $(json_field "$meta" total_s)s, hot item $(json_field "$meta" hot_item_id) with $(json_field "$meta" hot_item_attempts) attempts, data ending $(json_field "$meta" now)")
        bench "$m" postgres "$(json_field "$meta" hot_item_id)" "$secs"
        stop_server
        psql -X -q -d "$pg_admin" -c "DROP DATABASE \"$run_db\"" >&2
        run_db=""
    fi
done

echo
echo "wrk -t$threads -c$conns --latency, ${dur}s per endpoint unless SIZE:SECONDS; $n_items items; $(nproc) cores; $(basename "$bin")"
{
    printf 'attempts\tbackend\tendpoint\treqs\treq/s\tp50_ms\tp99_ms\tnon2xx\terrors\tfirst_ms\trss_mb\tpeak_mb\tload1\n'
    cat "$table"
} | column -t -s $'\t'
echo
for note in "${notes[@]}"; do echo "$note"; done
