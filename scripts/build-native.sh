#!/usr/bin/env bash
# Builds the Rust optimizer (native/) and copies the cdylib to native/index.node, where
# clinical/treatment/loader.ts looks for it. Neon's CLI has no build command (field-notes).
set -euo pipefail
cd "$(dirname "$0")/../native"
cargo build --release --quiet
case "$(uname -s)" in
  Darwin) lib=target/release/libhms_optimizer.dylib ;;
  MINGW*|MSYS*|CYGWIN*) lib=target/release/hms_optimizer.dll ;;
  *) lib=target/release/libhms_optimizer.so ;;
esac
cp "$lib" index.node
echo "built native/index.node"
