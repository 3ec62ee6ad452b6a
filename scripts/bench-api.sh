#!/usr/bin/env bash
# API throughput on one database (not a test): starts the release binary without an engine on
# DATABASE_URL, bulk-creates 300 items, then runs wrk for 10 s per endpoint and prints
# requests/s and latency, plus the server's RSS.
#   cargo build --release && scripts/bench-api.sh sqlite:////tmp/bench.db
#   scripts/bench-api.sh postgres://postgres@127.0.0.1:55432/lw_bench   # an empty database
# Needs wrk (Debian package) and python3.
set -euo pipefail
db="${1:?usage: bench-api.sh DATABASE_URL [PORT]}"
port="${2:-18801}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"item_id": 7, "text": "Hyvää huomenta kaikille täällä"}'
wrk.headers["Content-Type"] = "application/json"
LUA
DATABASE_URL="$db" AUDIO_DIR="$dir/audio" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
    TTS_MODEL_DIR="$dir/no-model" "$repo/target/release/last-whisper" > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "localhost:$port/health" > /dev/null && break; sleep 0.2; done
python3 - "$port" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
items = [{"locale": "fi", "text": f"Tämä on harjoituslause numero {n} kaupungissa.",
          "difficulty": 1 + n % 5, "tags": ["arki"]} for n in range(300)]
for i in range(0, 300, 100):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/items/bulk",
                                 data=json.dumps({"items": items[i:i + 100]}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
run() {
    echo "== $1"
    shift
    wrk -t2 -c32 -d10s "$@" | grep -E "Requests/sec|Latency|Non-2xx"
}
run "GET /v1/items?per_page=100" "http://127.0.0.1:$port/v1/items?per_page=100"
run "POST /v1/attempts" -s "$dir/post.lua" "http://127.0.0.1:$port/v1/attempts"
run "GET /v1/stats/summary" "http://127.0.0.1:$port/v1/stats/summary"
echo "server RSS: $(ps -o rss= -p "$pid") kB"
