#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: unit tests, integration tests
# through the real server, engine tests on the tiny fixture models, and the
# practice page in headless Chromium. Installs what the tests need first:
# the ONNX Runtime library (PyPI wheel), Debian's chromium, and
# playwright-core (npm, tests/e2e), Debian's PostgreSQL server (the API
# suite runs a second time on PostgreSQL, with the multi-instance test), and
# Podman (scripts/test-image.sh builds and runs the container image).
# Those installs use apt-get (Debian-family systems); elsewhere
# scripts/check-prerequisites.sh lists what to install by hand and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-prerequisites.sh
ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(scripts/install-onnxruntime.sh)}"
export ORT_DYLIB_PATH
export PIPER_TEST_VOICES_DIR="${PIPER_TEST_VOICES_DIR:-$(scripts/install-piper-voice.sh)}"
# The openai SDK and openapi-python-client (PyPI, pinned) for tests/clients.rs; required here.
CLIENTS_PYTHON="$(scripts/install-clients.sh)"; export CLIENTS_PYTHON; unset SKIP_CLIENT_TESTS
scripts/install-e2e.sh
# The image: linted, then built from the Dockerfile with Podman and exercised
# (health check, a data volume across a restart).
scripts/lint-dockerfile.sh
scripts/test-image.sh
pg_url="$(scripts/start-postgres.sh)"
# Databases of earlier runs on a reused cluster.
psql "$pg_url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'lw\_%'" |
    while read -r db; do psql "$pg_url" -qc "DROP DATABASE \"$db\"" >/dev/null; done

# Everything on the embedded default (SQLite).
env -u TEST_POSTGRES_URL -u REQUIRE_POSTGRES_TESTS cargo test --all-targets --locked "$@"
# The same API suite on PostgreSQL, and two instances sharing one database.
TEST_POSTGRES_URL="$pg_url" REQUIRE_POSTGRES_TESTS=1 \
    cargo test --locked --test api --test multi_instance "$@"
