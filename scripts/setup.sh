#!/usr/bin/env bash
# Installs what the project needs and is missing: npm packages, nats-server (apt-get, as root),
# the Rust build of native/, and for tests Debian's chromium. Stops with one line naming what to
# install when it cannot do it itself.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

die() { echo "setup: $*" >&2; exit 1; }

# 20.4: the first Node 20 with Symbol.asyncDispose, which `await using` needs at run time.
node_ok=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 4) ? 1 : 0' 2>/dev/null || echo 0)
[ "$node_ok" = 1 ] || die "Node.js 20.4 or newer is required: install it (e.g. apt-get install -y nodejs) and run again"

if [ -L node_modules ]; then
  # A checkout borrowing another's packages (a link): npm ci would empty the folder it points to.
  echo "setup: node_modules is a link to $(readlink node_modules): not reinstalling npm packages there" >&2
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing $* with apt-get" >&2
    if [ ! -f /tmp/.hms-apt-updated ]; then apt-get update -qq >&2 && touch /tmp/.hms-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  else
    return 1
  fi
}

if ! command -v nats-server >/dev/null && [ ! -x /usr/sbin/nats-server ] && [ -z "${NATS_URL:-}" ] && [ -z "${NATS_SERVER:-}" ]; then
  apt_install nats-server || die "nats-server is missing: run 'sudo apt-get install -y nats-server' (or set NATS_URL to a running server)"
fi

if [ -f native/Cargo.toml ]; then
  if command -v cargo >/dev/null; then
    if [ ! -f native/index.node ] || [ -n "$(find native/src native/Cargo.toml -newer native/index.node 2>/dev/null | head -1)" ]; then
      echo "setup: building native/ (Rust, release)" >&2
      bash scripts/build-native.sh >&2
    fi
  elif [ "$mode" = test ]; then
    die "cargo is missing: install Rust (https://rustup.rs or apt-get install -y cargo) to build native/"
  else
    echo "setup: cargo not found; the optimizer will use its TypeScript implementation" >&2
  fi
fi

if [ "$mode" = test ] && [ -d inspector ] && ! command -v chromium >/dev/null; then
  apt_install chromium || die "chromium is missing: run 'sudo apt-get install -y chromium' (the inspector page tests need it)"
fi
