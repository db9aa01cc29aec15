#!/usr/bin/env bash
# tests/system/with-deb.sh SCRIPT [ARGS...]: runs SCRIPT --deb PATH [ARGS...] with the .deb
# of this tree from cached-deb.sh, so every system test of a run shares one package build.
set -euo pipefail
deb=$("$(dirname "$0")/cached-deb.sh" | tail -1)
script=$1; shift
exec "$script" --deb "$deb" "$@"
