#!/usr/bin/env bash
# Builds the container image from the Dockerfile with Podman and exercises it (issue 20): starts it
# with a data volume, waits for its HEALTHCHECK (`last-whisper healthcheck`), creates an item and an
# attempt, restarts the container and finds both again. Prints the image's size. Run by
# scripts/test.sh; it installs Podman, runc and debootstrap from Debian when they are missing.
#
# Why stand-in base images: these machines reach the package registries but no container registry,
# so the Dockerfile's base images are made here and tagged with the names it uses:
#   debian:bookworm-slim        debootstrap --variant=minbase bookworm from deb.debian.org, with
#                               this machine's CA certificates
#   python:3.11-slim-bookworm   that + Debian's python3 and pip
#   rust:1.95-slim-bookworm     that + this machine's Rust toolchain (the image's pinned version)
# Where a registry is reachable, `docker build .` uses the real ones; the Dockerfile is the same.
#
# Why these Podman options: the kernel here has hybrid cgroups (crun refuses them; runc with the
# cgroupfs manager works) and the process may not raise resource limits (no CAP_SYS_RESOURCE), so
# containers get explicit lower ulimits; RUN steps use chroot isolation; networking is the host's.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
    echo "test-image: installing ${need[*]} from Debian ..." >&2
    if ! command -v apt-get >/dev/null; then
        echo "test-image: ${need[*]} missing and no apt-get (Debian-family systems only)" >&2
        exit 1
    fi
    apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi

podman=(podman --runtime runc --cgroup-manager cgroupfs)
limits=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

base_images() {
    local debian=docker.io/library/debian:bookworm-slim
    local python=docker.io/library/python:3.11-slim-bookworm
    local rust=docker.io/library/rust:1.95-slim-bookworm
    local work
    work="$(mktemp -d)"
    if ! "${podman[@]}" image exists "$debian"; then
        echo "test-image: making $debian with debootstrap ..." >&2
        debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >/dev/null
        # This machine's trust store, with any local CA (a TLS-inspecting proxy's) that the
        # registries are reached through; `apt-get install ca-certificates` in a stage keeps it.
        mkdir -p "$work/rootfs/usr/local/share/ca-certificates" "$work/rootfs/etc/ssl/certs"
        cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
        cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/"
        tar -C "$work/rootfs" -c . | "${podman[@]}" import - "$debian" >/dev/null
        rm -rf "$work/rootfs"
    fi
    if ! "${podman[@]}" image exists "$python"; then
        echo "test-image: making $python ..." >&2
        printf 'FROM %s\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-pip ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
            "$debian" > "$work/Containerfile"
        "${podman[@]}" build -q --pull=never --isolation chroot --network host "${limits[@]}" \
            -t "$python" -f "$work/Containerfile" "$work" >/dev/null
    fi
    if ! "${podman[@]}" image exists "$rust"; then
        local sysroot
        sysroot="$(rustc --print sysroot)"
        echo "test-image: making $rust from $sysroot ($(rustc --version)) ..." >&2
        mkdir -p "$work/rust"
        cp -a "$sysroot/bin" "$sysroot/lib" "$work/rust/"
        printf 'FROM %s\nCOPY rust /usr/local/rust\nENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nRUN mkdir -p /usr/local/cargo/bin && rustc --version && cargo --version\n' \
            "$debian" > "$work/Containerfile"
        "${podman[@]}" build -q --pull=never --isolation chroot --network host "${limits[@]}" \
            -t "$rust" -f "$work/Containerfile" "$work" >/dev/null
    fi
    rm -rf "$work"
}

base_images
started=$SECONDS
build_log="$(mktemp)"
"${podman[@]}" build -q --pull=never --isolation chroot --network host "${limits[@]}" \
    --format docker -t last-whisper:test . >"$build_log" 2>&1 \
    || { tail -40 "$build_log" >&2; echo "test-image: the image did not build" >&2; exit 1; }
rm -f "$build_log"
echo "test-image: built last-whisper:test in $((SECONDS - started)) s" >&2
size="$("${podman[@]}" image inspect --format '{{.Size}}' last-whisper:test)"
echo "test-image: image size $((size / 1000000)) MB" >&2

name="lw-test-$$"
volume="lw-test-data-$$"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() {
    "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
    "${podman[@]}" volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
run_container() {
    "${podman[@]}" run -d --name "$name" --network host "${limits[@]}" -e PORT="$port" \
        -v "$volume:/app/data" last-whisper:test >/dev/null
}
wait_healthy() {
    local i
    for i in $(seq 1 60); do
        if "${podman[@]}" healthcheck run "$name" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    echo "test-image: the container never became healthy" >&2
    "${podman[@]}" logs "$name" 2>&1 | tail -20 >&2
    return 1
}
api() {
    local method="$1" path="$2" body="${3:-}"
    python3 - "$method" "http://127.0.0.1:$port$path" "$body" <<'PY'
import json, sys, urllib.request
method, url, body = sys.argv[1:4]
request = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=10) as answer:
    print(answer.status, answer.read().decode())
PY
}

run_container
wait_healthy
user="$("${podman[@]}" exec "$name" id -u)"
[[ "$user" == "10001" ]] || { echo "test-image: runs as uid $user, expected 10001" >&2; exit 1; }
"${podman[@]}" exec "$name" test -s /usr/share/doc/last-whisper/THIRD-PARTY-NOTICES.md
"${podman[@]}" exec "$name" test -s /usr/share/doc/last-whisper/last-whisper.cdx.json
created="$(api POST /v1/items '{"locale":"fi","text":"Hyvää huomenta"}')"
[[ "$created" == 202* ]] || { echo "test-image: item create answered $created" >&2; exit 1; }
item_id="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1].split(" ", 1)[1])["id"])' "$created")"
attempt="$(api POST /v1/attempts "{\"item_id\":$item_id,\"text\":\"Hyvää huomenta\"}")"
[[ "$attempt" == 201* ]] || { echo "test-image: attempt answered $attempt" >&2; exit 1; }

"${podman[@]}" restart "$name" >/dev/null
wait_healthy
item="$(api GET "/v1/items/$item_id")"
attempts="$(api GET "/v1/attempts?item_id=$item_id")"
python3 - "$item" "$attempts" <<'PY'
import json, sys
item = json.loads(sys.argv[1].split(" ", 1)[1])
attempts = json.loads(sys.argv[2].split(" ", 1)[1])
assert item["text"] == "Hyvää huomenta", item
assert attempts["total"] == 1 and attempts["attempts"][0]["percentage"] == 100, attempts
PY
echo "test-image: healthy, item $item_id and its attempt kept across a restart, uid 10001, notices in /usr/share/doc/last-whisper" >&2
