#!/usr/bin/env bash
# Installs the HTTP clients the client tests (tests/clients.rs) drive the real server with: the
# official `openai` Python SDK and `openapi-python-client` (which generates a client from
# /openapi.json), pinned, from PyPI, into a virtual environment under .cache/clients-venv.
#
# Why a venv: the tests must run the same SDK versions on every machine, without touching the
# system Python.
#
# Usage: scripts/install-clients.sh
#   Idempotent: does nothing when the pinned versions are already installed. Prints the venv's
#   python on stdout, everything else on stderr:
#     export CLIENTS_PYTHON="$(scripts/install-clients.sh)"
set -euo pipefail

OPENAI_VERSION="3.63.0"
GENERATOR_VERSION="0.29.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.cache/clients-venv"
stamp="$venv/.installed-openai-$OPENAI_VERSION-generator-$GENERATOR_VERSION"

if [[ -x "$venv/bin/python" && -f "$stamp" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-clients: $python not found; set PYTHON=/path/to/python3 (3.9 or newer)" >&2
    exit 1
fi
echo "install-clients: installing openai $OPENAI_VERSION and openapi-python-client $GENERATOR_VERSION into $venv ..." >&2
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "openai==$OPENAI_VERSION" "openapi-python-client==$GENERATOR_VERSION" >&2
rm -f "$venv"/.installed-*
touch "$stamp"
echo "$venv/bin/python"
