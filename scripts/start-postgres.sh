#!/usr/bin/env bash
# Installs Debian's PostgreSQL server if missing, then starts a throwaway
# cluster on loopback for the test suite (trust authentication, data under
# $PG_TEST_DIR, default /tmp/last-whisper-postgres) and prints its admin URL.
# Idempotent: a cluster already running is reused.
set -euo pipefail
port="${PG_TEST_PORT:-55432}"
dir="${PG_TEST_DIR:-/tmp/last-whisper-postgres}"
sudo_cmd=""
[[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
# Other systems put the server binaries on PATH.
if [[ -z "$bindir" || ! -x "$bindir/pg_ctl" ]] && command -v pg_ctl >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v pg_ctl)")
fi
if [[ -z "$bindir" || ! -x "$bindir/pg_ctl" ]]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "start-postgres: no PostgreSQL server (initdb, pg_ctl) and no apt-get (Debian-family systems only): install the PostgreSQL server by hand" >&2
        exit 1
    fi
    echo "start-postgres: installing Debian postgresql ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get install -y -q postgresql >&2 ||
        { $sudo_cmd apt-get update -q >&2 && $sudo_cmd apt-get install -y -q postgresql >&2; }
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

# The server refuses to run as root: run it as the package's `postgres` user.
as_pg=()
if [[ "$(id -u)" -eq 0 ]]; then
    as_pg=(runuser -u postgres --)
fi

if [[ ! -f "$dir/PG_VERSION" ]]; then
    mkdir -p "$dir"
    [[ "$(id -u)" -eq 0 ]] && chown postgres: "$dir"
    "${as_pg[@]}" "$bindir/initdb" -D "$dir" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    # fsync off: a test cluster trades durability for speed.
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" >&2
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
