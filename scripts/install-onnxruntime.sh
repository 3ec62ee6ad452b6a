#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that the local MMS-TTS engine loads at run time.
#
# Why: the `ort` crate is built with `load-dynamic` (its default download of prebuilt binaries
# needs a CDN that is not reachable here), so the process needs a libonnxruntime.so on disk.
# PyPI's `onnxruntime` wheel carries exactly that library, built by Microsoft, CPU only.
# With ORT_PACKAGE=onnxruntime-gpu it takes the CUDA build instead (CUDA 13 + cuDNN 9 needed at
# run time; see README "On a GPU"), which adds libonnxruntime_providers_cuda.so beside it.
#
# Usage: [ORT_PACKAGE=onnxruntime|onnxruntime-gpu] scripts/install-onnxruntime.sh [DEST_DIR]
#   DEST_DIR defaults to <repo>/.cache/onnxruntime. Idempotent: does nothing when the library
#   is already there. Prints the library path on stdout (everything else goes to stderr), so:
#     export ORT_DYLIB_PATH="$(scripts/install-onnxruntime.sh)"
set -euo pipefail

# ort 2.0.0-rc.15 targets the ONNX Runtime 1.31 API; keep these two in step.
ORT_VERSION="1.31.1"
ORT_PACKAGE="${ORT_PACKAGE:-onnxruntime}"
case "$ORT_PACKAGE" in
    onnxruntime | onnxruntime-gpu) ;;
    *) echo "install-onnxruntime: ORT_PACKAGE must be onnxruntime or onnxruntime-gpu" >&2; exit 1 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-"$repo_root/.cache/onnxruntime"}"
lib="$dest/libonnxruntime.so.$ORT_VERSION"

if [[ -s "$lib" && -s "$dest/LICENSE-onnxruntime" ]]; then
    echo "$lib"
    exit 0
fi

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform="manylinux_2_28_x86_64" ;;
    Linux-aarch64) platform="manylinux_2_28_aarch64" ;;
    *)
        echo "install-onnxruntime: unsupported platform $(uname -s)-$(uname -m); install libonnxruntime $ORT_VERSION yourself and set ORT_DYLIB_PATH" >&2
        exit 1
        ;;
esac

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-onnxruntime: $python not found (needed for pip download); set PYTHON=/path/to/python3" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The shared library inside the wheel does not depend on the Python version, so pin one that
# has a wheel instead of depending on the local interpreter's version.
echo "install-onnxruntime: downloading $ORT_PACKAGE==$ORT_VERSION wheel from PyPI ..." >&2
"$python" -m pip download "$ORT_PACKAGE==$ORT_VERSION" --no-deps --only-binary=:all: \
    --platform "$platform" --python-version 3.11 --implementation cp \
    --disable-pip-version-check -q -d "$tmp" >&2

wheel="$(find "$tmp" -maxdepth 1 -name 'onnxruntime*.whl' | head -n 1)"
if [[ -z "$wheel" ]]; then
    echo "install-onnxruntime: pip did not produce an onnxruntime wheel" >&2
    exit 1
fi

mkdir -p "$dest"
"$python" - "$wheel" "$dest" "$ORT_VERSION" <<'PY'
import os
import sys
import zipfile

wheel, dest, version = sys.argv[1:4]
wanted = {
    f"onnxruntime/capi/libonnxruntime.so.{version}": f"libonnxruntime.so.{version}",
    # Needed by ONNX Runtime to load provider plugins (e.g. CUDA); harmless otherwise.
    "onnxruntime/capi/libonnxruntime_providers_shared.so": "libonnxruntime_providers_shared.so",
    # Only in the onnxruntime-gpu wheel.
    "onnxruntime/capi/libonnxruntime_providers_cuda.so": "libonnxruntime_providers_cuda.so",
    # Its licence (MIT) and the notices of what it bundles, shipped beside the library.
    "onnxruntime/LICENSE": "LICENSE-onnxruntime",
    "onnxruntime/ThirdPartyNotices.txt": "ThirdPartyNotices-onnxruntime.txt",
}
with zipfile.ZipFile(wheel) as zf:
    names = set(zf.namelist())
    missing = [n for n in wanted if n not in names]
    if f"onnxruntime/capi/libonnxruntime.so.{version}" in missing:
        sys.exit(f"install-onnxruntime: {wheel} has no libonnxruntime.so.{version}")
    # Write the main library last so its presence means the install finished.
    for member, target in sorted(wanted.items(), key=lambda kv: kv[1].startswith("libonnxruntime.so")):
        if member not in names:
            continue
        final = os.path.join(dest, target)
        partial = final + ".partial"
        with zf.open(member) as src, open(partial, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.chmod(partial, 0o755)
        os.replace(partial, final)
PY

ln -sfn "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so"
echo "install-onnxruntime: installed ONNX Runtime $ORT_VERSION into $dest" >&2
echo "$lib"
