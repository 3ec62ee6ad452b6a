#!/usr/bin/env bash
# Third-party notices and an SBOM of everything the binary is built from (issue 20):
#   licenses/THIRD-PARTY-NOTICES.md   every licence text, with the crates of Cargo.lock under it
#                                     (cargo-about), then ONNX Runtime's licence
#   licenses/last-whisper.cdx.json    CycloneDX 1.5 (cargo-cyclonedx): every crate of Cargo.lock
#                                     (dev-only crates with scope "excluded": they are not shipped)
#                                     and ONNX Runtime
# The Dockerfile copies both into /usr/share/doc/last-whisper/.
#
# Usage: scripts/notices.sh          regenerate the files
#        scripts/notices.sh --check  fail when the committed files are not what Cargo.lock gives
#                                    (run by scripts/check-licences.sh in CI)
# cargo-about and cargo-cyclonedx are installed from crates.io into .cache/tools the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
ABOUT_VERSION="0.9.3"
CYCLONEDX_VERSION="0.5.9"
tools="$PWD/.cache/tools"
export PATH="$tools/bin:$PATH"
if ! cargo-about --version 2>/dev/null | grep -q "$ABOUT_VERSION"; then
    echo "notices: installing cargo-about $ABOUT_VERSION into $tools ..." >&2
    cargo install --locked --quiet --features cli --root "$tools" --version "$ABOUT_VERSION" cargo-about >&2
fi
if ! cargo cyclonedx --version 2>/dev/null | grep -q "$CYCLONEDX_VERSION"; then
    echo "notices: installing cargo-cyclonedx $CYCLONEDX_VERSION into $tools ..." >&2
    cargo install --locked --quiet --root "$tools" --version "$CYCLONEDX_VERSION" cargo-cyclonedx >&2
fi
ort_dir="$(dirname "$(scripts/install-onnxruntime.sh)")"
# Every package of Cargo.lock, other platforms' too: cargo-about reads their licence files offline.
cargo fetch --locked --quiet

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo about generate --locked --offline --fail --all-features -c about.toml -o "$out/cargo.md" licenses/about.hbs 2> "$out/about.log" \
    || { cat "$out/about.log" >&2; exit 1; }
cargo cyclonedx -q -f json --spec-version 1.5 --target all --override-filename sbom
mv sbom.json "$out/sbom.json"
cargo metadata --format-version 1 --locked > "$out/metadata.json"

python3 - "$out" "$ort_dir" <<'PY'
import hashlib, json, re, sys, uuid
from pathlib import Path

out, ort_dir = Path(sys.argv[1]), Path(sys.argv[2])
ORT_VERSION = "1.31.1"
lock = Path("Cargo.lock").read_text()
locked = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', lock)
meta = json.loads((out / "metadata.json").read_text())
licence_of = {(p["name"], p["version"]): p.get("license") for p in meta["packages"]}
root = next(p for p in meta["packages"] if p["name"] == "last-whisper")

bom = json.loads((out / "sbom.json").read_text())
# Reproducible: no generation time, a serial number derived from Cargo.lock.
bom["metadata"].pop("timestamp", None)
bom["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, hashlib.sha256(lock.encode()).hexdigest()))
have = {(c["name"], c["version"]) for c in bom["components"]}
for name, version in locked:
    if (name, version) in have or name == root["name"]:
        continue
    component = {
        "type": "library",
        "bom-ref": f"pkg:cargo/{name}@{version}",
        "name": name,
        "version": version,
        "scope": "excluded",
        "description": "used only by tests and benchmarks; not in the shipped binary",
        "purl": f"pkg:cargo/{name}@{version}",
    }
    if licence_of.get((name, version)):
        component["licenses"] = [{"expression": licence_of[(name, version)]}]
    bom["components"].append(component)
bom["components"].append({
    "type": "library",
    "bom-ref": f"pkg:pypi/onnxruntime@{ORT_VERSION}",
    "name": "onnxruntime",
    "version": ORT_VERSION,
    "scope": "required",
    "description": "ONNX Runtime shared library from the PyPI wheel (scripts/install-onnxruntime.sh), loaded at run time from ORT_DYLIB_PATH",
    "licenses": [{"license": {"id": "MIT"}}],
    "purl": f"pkg:pypi/onnxruntime@{ORT_VERSION}",
})
bom["components"].sort(key=lambda c: (c["name"], c["version"]))
# The same file from any checkout: this crate's references name no local folder.
text = json.dumps(bom, indent=2, ensure_ascii=False).replace(f"path+file://{Path.cwd()}#", "path+file:///last-whisper#")
(out / "last-whisper.cdx.json").write_text(text + "\n")

notices = (out / "cargo.md").read_text().rstrip() + "\n\n"
# Crates Cargo.lock holds for other platforms or features than this build's: named with the licence
# their manifest declares (every one of those licences is also one whose text is given above).
others = [(n, v) for n, v in locked if n != root["name"] and f"[{n} {v}]" not in notices]
if others:
    notices += "## Also in Cargo.lock\n\nNot compiled into the Linux binary with this build's features; each under the licence its\nmanifest declares:\n\n"
    for n, v in others:
        notices += f"- [{n} {v}](https://crates.io/crates/{n}): {licence_of.get((n, v)) or 'no licence declared'}\n"
    notices += "\n"
notices += f"## ONNX Runtime {ORT_VERSION} (MIT)\n\nLoaded at run time from `ORT_DYLIB_PATH` (the PyPI wheel's `libonnxruntime.so`).\n\n"
notices += "```text\n" + (ort_dir / "LICENSE-onnxruntime").read_text().strip() + "\n```\n\n"
notices += "Its own third-party notices are shipped beside it (`ThirdPartyNotices-onnxruntime.txt` in the image's\n`/usr/share/doc/last-whisper/`).\n"
(out / "THIRD-PARTY-NOTICES.md").write_text(notices)

# Every crate of Cargo.lock and ONNX Runtime in the SBOM; every shipped crate in the notices.
in_bom = {(c["name"], c["version"]) for c in bom["components"]}
missing = [f"{n} {v}" for n, v in locked if (n, v) not in in_bom and n != root["name"]]
shipped = [(c["name"], c["version"]) for c in bom["components"] if c.get("scope") != "excluded" and c["name"] != "onnxruntime"]
not_noticed = [f"{n} {v}" for n, v in locked if n != root["name"] and f"[{n} {v}]" not in notices]
if missing or not_noticed or "onnxruntime" not in {c["name"] for c in bom["components"]}:
    sys.exit(f"notices: missing from the SBOM: {missing}; from the notices: {not_noticed}")
print(f"notices: {len(locked)} crates in Cargo.lock, {len(shipped)} shipped, + ONNX Runtime", file=sys.stderr)
PY

if [[ "${1:-}" == "--check" ]]; then
    for f in THIRD-PARTY-NOTICES.md last-whisper.cdx.json; do
        if ! cmp -s "$out/$f" "licenses/$f"; then
            echo "notices: licenses/$f is not what Cargo.lock gives; run scripts/notices.sh and commit it" >&2
            diff <(head -c 200000 "licenses/$f" 2>/dev/null) <(head -c 200000 "$out/$f") | head -20 >&2 || true
            exit 1
        fi
    done
    echo "notices: licenses/ is up to date" >&2
else
    cp "$out/THIRD-PARTY-NOTICES.md" "$out/last-whisper.cdx.json" licenses/
    echo "notices: wrote licenses/THIRD-PARTY-NOTICES.md and licenses/last-whisper.cdx.json" >&2
fi
