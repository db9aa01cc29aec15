#!/usr/bin/env bash
# Prints the path of a pmd .deb built from this working tree, building it (packaging/
# build-deb.sh --install-deps, DEB_BUILD_OPTIONS "nocheck parallel=<nproc>", as the container
# test does) only when no .deb of the same sources is cached under $PMD_TEST_CACHE/deb.
# The key is a hash of every source file build-deb.sh packs, so the system tests of one run
# build the package once, and an unchanged tree never rebuilds it.
#
#   tests/system/cached-deb.sh      (the path is the last line printed)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PMD_TEST_CACHE:-/var/cache/pmd-test}/deb
cd "$REPO"
# The same file list as build-deb.sh (tracked and new files, minus build trees).
key=$(git ls-files -z --cached --others --exclude-standard | grep -zvE '^(build[^/]*|dist|obj-[^/]*|debian)/' |
      while IFS= read -r -d '' f; do [[ -f $f ]] && printf '%s\0' "$f"; done |
      xargs -0 sha256sum | sha256sum | cut -c1-16)
dir=$CACHE/$key
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"; flock 9   # two stages asking at once build once
if ! ls "$dir"/pmd_*.deb >/dev/null 2>&1; then
  echo "cached-deb: building the .deb (packaging/build-deb.sh)" >&2
  tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck parallel=$(nproc)"} \
    "$REPO/packaging/build-deb.sh" --install-deps "$tmp" >&2 || { rm -rf "$tmp"; exit 1; }
  rm -rf "$dir"; mv "$tmp" "$dir"
  # Keep the last few builds only.
  ls -1dt "$CACHE"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
fi
ls "$dir"/pmd_*.deb | grep -v dbgsym | tail -1
