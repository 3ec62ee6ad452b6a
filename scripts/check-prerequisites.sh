#!/usr/bin/env bash
# What scripts/test.sh needs, checked before anything is built or installed (issue 21), so a
# machine that lacks something is told at once what to install instead of failing half-way.
#
# Always needed: the Rust toolchain (cargo), a C compiler (LAME is compiled from source for MP3),
# python3 with pip (the ONNX Runtime library, the test voice and hadolint come from PyPI wheels),
# Node.js with npm (playwright-core for the browser test) and curl (the README's examples are run).
# On Debian-family systems (apt-get present) the install scripts fetch the rest themselves:
# chromium, postgresql, podman, runc, debootstrap. Elsewhere those must be installed by hand; this
# lists the ones missing and stops.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have cargo || missing+=("cargo: the Rust toolchain (https://rustup.rs)")
have cc || have gcc || have clang || missing+=("a C compiler (cc, gcc or clang): LAME is built from source")
{ have python3 && python3 -m pip --version >/dev/null 2>&1; } ||
    missing+=("python3 with pip: ONNX Runtime, the test voice and hadolint are PyPI wheels")
have node && have npm || missing+=("Node.js with npm: playwright-core drives the browser test")
have curl || missing+=("curl: the README's examples are run as a test")
if ! have apt-get; then
    have chromium || missing+=("chromium on PATH: the browser test")
    { have pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } && have psql ||
        missing+=("the PostgreSQL server binaries (initdb, pg_ctl) and psql: the API suite's second run")
    for tool in podman runc debootstrap; do
        have "$tool" || missing+=("$tool: scripts/test-image.sh builds and runs the container image")
    done
fi
if ((${#missing[@]})); then
    echo "scripts/test.sh cannot run here; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    if ! have apt-get; then
        echo "This is not a Debian-family system (no apt-get), so nothing is installed automatically;" >&2
        echo "see README.md, section \"Prerequisites\"." >&2
    fi
    exit 1
fi
