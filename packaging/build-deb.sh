#!/usr/bin/env bash
# packaging/build-deb.sh — builds the Debian package into target/debian/ with cargo-deb
# (installed with `cargo install --locked` when missing). Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb.sh: installing cargo-deb $CARGO_DEB_VERSION" >&2
  cargo install --locked --version "$CARGO_DEB_VERSION" cargo-deb >&2
fi
# --locked: the same dependency versions as the tests ran with.
cargo deb --locked "$@" | tail -n 1
