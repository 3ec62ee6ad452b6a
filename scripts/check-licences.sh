#!/usr/bin/env bash
# Licences and sources of every dependency (deny.toml): installs cargo-deny from crates.io into
# .cache/tools the first time (a few minutes), then runs `cargo deny check licenses bans sources`.
# Advisories are not checked here: their database is cloned from GitHub (see deny.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DENY_VERSION="0.20.2"
tools="$PWD/.cache/tools"
deny="$tools/bin/cargo-deny"
if ! "$deny" --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
    echo "check-licences: installing cargo-deny $CARGO_DENY_VERSION into $tools ..." >&2
    cargo install --locked --quiet --root "$tools" --version "$CARGO_DENY_VERSION" cargo-deny >&2
fi
"$deny" --version >&2
"$deny" check --hide-inclusion-graph licenses bans sources
# The committed notices and SBOM are what Cargo.lock gives (cargo-about, cargo-cyclonedx).
scripts/notices.sh --check
