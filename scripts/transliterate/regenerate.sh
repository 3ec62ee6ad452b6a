#!/usr/bin/env bash
# Regenerate the OVERRIDES table in src/domain/transliterate.rs in place, then show
# `git diff --stat` of that file (empty when the table is already up to date).
#
# 1. Builds the deunicode dumper (this folder's standalone Cargo project, deunicode
#    pinned to the version in the main Cargo.lock; checked below).
# 2. Creates a venv with Unidecode 1.4.0 the first time (pip, from PyPI).
# 3. Pipes the dump through generate.py, which rewrites the table.
#
# Usage: scripts/transliterate/regenerate.sh   (venv: $TRANSLIT_VENV, default /tmp/translit-venv)
# After bumping deunicode or Unidecode, change the pins here, in Cargo.toml and generate.py,
# and the versions named in the table's doc comment.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TRANSLIT_VENV:-/tmp/translit-venv}"

locked_version() { # the deunicode version in the Cargo.lock $1
    awk '$0 == "name = \"deunicode\"" { getline; gsub(/version = |"/, ""); print }' "$1"
}
main_version="$(locked_version "$root/Cargo.lock")"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
dump_version="$(locked_version "$here/Cargo.lock")"
if [[ "$main_version" != "$dump_version" ]]; then
    echo "regenerate.sh: main crate locks deunicode $main_version, the dumper $dump_version;" \
        "update the pin in $here/Cargo.toml" >&2
    exit 1
fi

if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys
sys.exit(m.version("unidecode") != "1.4.0")' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet unidecode==1.4.0
fi

"$here/target/release/transliterate-dump" \
    | "$venv/bin/python" "$here/generate.py" --rewrite "$root/src/domain/transliterate.rs"
git -C "$root" diff --stat -- src/domain/transliterate.rs
