#!/usr/bin/env bash
# Build the pmd rpm from git, with a private rpmbuild tree.
#
#   packaging/build-rpm.sh [--worktree] [OUTDIR]          (OUTDIR default: ./dist)
#
# Makes pmd-<version>.tar.gz from HEAD with `git archive` (--worktree: from the working
# tree, tracked and new files), runs `rpmbuild -bb packaging/rpm/pmd.spec` with _topdir in
# a temporary directory, and copies the rpms (pmd, cockpit-pmd) to OUTDIR; pmd's path is the
# last line printed.
# On Debian (rpm without an rpm database of build dependencies) it passes --nodeps and
# builds no debuginfo package: the build dependencies are the Debian ones instead.
set -euo pipefail

from_worktree=0 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --worktree) from_worktree=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-rpm: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) out=$1 ;;
  esac
  shift
done

command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild missing (apt-get install rpm / dnf install rpm-build)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${out:-$repo/dist}" && cd "${out:-$repo/dist}" && pwd)
version=$(sed -n 's/^project(pmd VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
[[ -n $version ]] || { echo "build-rpm: no version in CMakeLists.txt project()" >&2; exit 1; }
top=$(mktemp -d "${TMPDIR:-/tmp}/pmd-rpm.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}

tarball=$top/SOURCES/pmd-$version.tar.gz
if [[ $from_worktree == 1 ]]; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
    grep -zvE '^(build[^/]*|dist|obj-[^/]*|debian)/' |
    (cd "$repo" && while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done) |
    tar -C "$repo" --null -T - --transform "s|^|pmd-$version/|" -czf "$tarball"
else
  git -C "$repo" archive --format=tar.gz --prefix="pmd-$version/" -o "$tarball" HEAD
fi

args=(--define "_topdir $top" --define "pmd_version $version")
if [[ -f /etc/debian_version ]]; then
  args+=(--nodeps --define "debug_package %{nil}")
fi
rpmbuild -bb "${args[@]}" "$repo/packaging/rpm/pmd.spec" >"$top/build.log" 2>&1 || {
  tail -40 "$top/build.log" >&2
  echo "build-rpm: rpmbuild failed (log above)" >&2
  exit 1
}
rpms=("$top"/RPMS/*/pmd-"$version"-*.rpm)
cp -f "${rpms[@]}" "$top"/RPMS/*/cockpit-pmd-"$version"-*.rpm "$out"/
echo "$out/${rpms[0]##*/}"
