#!/usr/bin/env bash
# Build the pmd .deb from this working tree without leaving anything in it.
#
#   packaging/build-deb.sh [--install-deps] [--lintian] [OUTDIR]     (OUTDIR default: ./dist)
#
# Copies the sources (tracked and new files, not build directories) to a temporary
# directory, puts packaging/debian there as debian/, runs `dpkg-buildpackage -us -uc -b`
# and moves the .debs (pmd, cockpit-pmd), .buildinfo and .changes to OUTDIR. The path of
# pmd's .deb is the last line printed; cockpit-pmd's is beside it. DEB_BUILD_OPTIONS passes
# through (default "parallel=<nproc>"; add nocheck to skip the unit tests). --install-deps installs the build dependencies with apt-get
# first; --lintian runs lintian on the result and fails on errors.
set -euo pipefail

install_deps=0 run_lintian=0 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --install-deps) install_deps=1 ;;
    --lintian) run_lintian=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-deb: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) out=$1 ;;
  esac
  shift
done

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${out:-$repo/dist}" && cd "${out:-$repo/dist}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pmd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Sources: what git knows about plus new files, minus build trees; files deleted in the
# working tree are skipped. Without git (an unpacked tarball), everything but build trees.
src=$work/pmd
mkdir -p "$src"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
    grep -zvE '^(build[^/]*|dist|obj-[^/]*|debian)/' |
    (cd "$repo" && while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done) |
    tar -C "$repo" --null -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$repo" --exclude='./build*' --exclude=./dist --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

if [[ $install_deps == 1 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    dpkg-dev debhelper >/dev/null
  (cd "$src" && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y ./ >/dev/null)
fi

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)}
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed (log above)" >&2
  exit 1
}

shopt -s nullglob
files=("$work"/pmd_*.deb "$work"/pmd-dbgsym_*.deb "$work"/cockpit-pmd_*.deb "$work"/pmd_*.buildinfo "$work"/pmd_*.changes)
cp -f "${files[@]}" "$out"/
debs=("$work"/pmd_*.deb) changes=("$work"/pmd_*.changes)
deb=$out/${debs[0]##*/}

if [[ $run_lintian == 1 ]]; then
  lintian --fail-on error --info "$out/${changes[0]##*/}" >&2
fi
echo "$deb"
