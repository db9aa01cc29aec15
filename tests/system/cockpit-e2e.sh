#!/usr/bin/env bash
# Browser test of the Cockpit page (cockpit-pmd): boots a Debian 12 container with systemd,
# cockpit-ws, cockpit-bridge and cockpit-system, installs pmd and cockpit-pmd with apt, and
# drives headless Chromium (Selenium, on the host) through Cockpit's login as test users:
# an admin (member of pmd's admin group) sees the apps pmctl started, stops one with the
# page's button (pmctl ls agrees), sees a killed instance come back in the table; an
# unprivileged user sees only the app that runs as them, and stops it.
#
#   tests/system/cockpit-e2e.sh [--deb PATH] [--cockpit-deb PATH] [--prepare] [--keep]
#
#   --deb PATH          pmd's .deb (default: build both with packaging/build-deb.sh)
#   --cockpit-deb PATH  cockpit-pmd's .deb (default: the one beside --deb, else built)
#   --prepare           only build the cached rootfs, then exit
#   --keep              leave the container running at the end
#
# Needs root and cgroup2. Installs its host tools with apt-get (debootstrap,
# systemd-container, chromium, chromium-driver, python3-selenium). The rootfs (with
# Cockpit) is cached as a tarball under $PMD_TEST_CACHE (default /var/cache/pmd-test).
# Cockpit listens on 127.0.0.1:$PMD_COCKPIT_PORT (default 9391; the container shares the
# host's network, so not 9090). Prints PASS/FAIL per check; exits non-zero on a failure.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PMD_TEST_CACHE:-/var/cache/pmd-test}
PORT=${PMD_COCKPIT_PORT:-9391}
NAME=pmd-cockpit-$$
ROOT=/var/tmp/pmd-e2e/$NAME
LOG=$(mktemp /tmp/pmd-cockpit-e2e.XXXXXX.log)
PACKAGES="systemd,systemd-sysv,dbus,libpam-systemd,ca-certificates,procps,polkitd,
libsdbus-c++1,libspdlog1.10,libfmt9,libtomlplusplus3,libyaml-cpp0.7,passwd,login"
PACKAGES=${PACKAGES//[[:space:]]/}
# Installed by apt in the new root afterwards: debootstrap's own ordering fails to configure
# their dependencies (dconf-service).
COCKPIT_PACKAGES="cockpit-ws cockpit-bridge cockpit-system"

deb="" cdeb="" keep=0 prepare=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=$(realpath "$2"); shift ;;
    --cockpit-deb) cdeb=$(realpath "$2"); shift ;;
    --prepare) prepare=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cockpit-e2e: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "cockpit-e2e: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root (it boots a container)"

need_pkgs=()
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v systemd-nspawn >/dev/null || need_pkgs+=(systemd-container)
command -v nsenter >/dev/null || need_pkgs+=(util-linux)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v chromedriver >/dev/null || need_pkgs+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' 2>/dev/null || need_pkgs+=(python3-selenium)
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  say "installing ${need_pkgs[*]}"
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_pkgs[@]}" >>"$LOG" 2>&1 ||
    die "apt-get install ${need_pkgs[*]} failed (see $LOG)"
fi

# ---------------------------------------------------------------- container plumbing
# The boot of tests/system/container-lib.sh, on a rootfs of its own (Cockpit in it).
rootfs_tarball() {
  local key tar tmp
  key=$(echo "$PACKAGES $COCKPIT_PACKAGES cockpit-rootfs-v2" | sha256sum | cut -c1-12)   # bump vN when the recipe changes
  tar=$CACHE/bookworm-cockpit-$key.tar
  if [[ ! -f $tar ]]; then
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    say "building the Debian 12 rootfs with Cockpit (once; cached in $tar)"
    if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$tmp/root" >"$tmp/log" 2>&1; then
      tail -20 "$tmp/log" >&2; rm -rf "$tmp"; die "debootstrap failed"
    fi
    printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"; chmod +x "$tmp/root/usr/sbin/policy-rc.d"
    mount -t proc proc "$tmp/root/proc"
    # shellcheck disable=SC2086
    chroot "$tmp/root" apt-get update >>"$tmp/log" 2>&1
    chroot "$tmp/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $COCKPIT_PACKAGES >>"$tmp/log" 2>&1
    local rc=$?
    umount "$tmp/root/proc"
    rm -f "$tmp/root/usr/sbin/policy-rc.d"
    chroot "$tmp/root" apt-get clean
    if [[ $rc != 0 ]]; then tail -20 "$tmp/log" >&2; rm -rf "$tmp"; die "apt-get install $COCKPIT_PACKAGES in the rootfs failed"; fi
    echo pmd-cockpit-test >"$tmp/root/etc/hostname"
    tar -C "$tmp/root" -cf "$tar.part" . && mv "$tar.part" "$tar"
    rm -rf "$tmp"
  fi
  echo "$tar"
}

source "$REPO/tests/system/container-lib.sh"

tar=$(rootfs_tarball) || exit 1
[[ $prepare == 1 ]] && { say "rootfs ready: $tar"; exit 0; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- checks
passed=0 failed=0
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "PASS: $name"; passed=$((passed + 1))
  else
    echo "FAIL: $name"; failed=$((failed + 1))
    [[ -n $out ]] && sed 's/^/      /' <<<"$out" | tail -25
  fi
  printf '== %s\n%s\n' "$name" "$out" >>"$LOG"
}

# ---------------------------------------------------------------- packages
if [[ -z $deb ]]; then
  say "building the .debs (packaging/build-deb.sh)"
  deb=$(DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck parallel=$(nproc)"} \
        "$REPO/packaging/build-deb.sh" --install-deps "$(mktemp -d /tmp/pmd-cockpit-deb.XXXXXX)" | tail -1) ||
    die "building the .debs failed"
fi
[[ -f $deb ]] || die "no .deb at '$deb'"
if [[ -z $cdeb ]]; then
  shopt -s nullglob; c=("$(dirname "$deb")"/cockpit-pmd_*.deb); shopt -u nullglob
  cdeb=${c[0]:-}
fi
[[ -f $cdeb ]] || die "no cockpit-pmd .deb (beside $deb, or --cockpit-deb)"
say "testing $deb and $cdeb"

rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$tar" || die "cannot unpack $tar"
# Cockpit on a loopback port of its own (the host's network is shared).
mkdir -p "$ROOT/etc/systemd/system/cockpit.socket.d"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PORT" \
  >"$ROOT/etc/systemd/system/cockpit.socket.d/e2e-port.conf"
start_container
say "container $NAME booted (PID 1 is host pid $leader)"

cx_cp "$deb" /root/pmd.deb
cx_cp "$cdeb" /root/cockpit-pmd.deb
install_debs() {
  cx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb /root/cockpit-pmd.deb ||
    { cx apt-get update -qq && cx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb /root/cockpit-pmd.deb; }
}
check "apt installs pmd and cockpit-pmd" install_debs
check "systemctl enable --now pmd" cx systemctl enable --now pmd
check "pmctl ping" cx pmctl ping
listed() { cx cockpit-bridge --packages | grep -E '^pmd[[:space:]]'; }
check "Cockpit knows the pmd package (cockpit-bridge --packages)" listed
menu_label() { cx grep -q '"Processes (pmd)"' /usr/share/cockpit/pmd/manifest.json; }
check "its menu entry is \"Processes (pmd)\"" menu_label
check "cockpit.socket listens on 127.0.0.1:$PORT" cx systemctl restart cockpit.socket

# Users: an admin (pmd's admin group) and an unprivileged one, with passwords.
cx useradd -m -s /bin/bash -G pmd e2eadmin
cx useradd -m -s /bin/bash e2euser
printf 'e2eadmin:admin-pw-1\ne2euser:user-pw-1\n' | cx chpasswd

# Apps started by root with pmctl: two for the admin to see, one that runs as e2euser.
cx pmctl start -n web -i 2 -- /bin/sleep 7001 >/dev/null
cx pmctl start -n worker -- /bin/sleep 7002 >/dev/null
cx pmctl start -n mine --user e2euser --cwd /tmp -- /bin/sleep 7003 >/dev/null
cx pmctl start -n mylog --user e2euser --cwd /tmp -- sh -c 'echo mylog-out; echo mylog-err >&2; i=0; while :; do i=$((i+1)); echo mytick $i; sleep 1; done' >/dev/null
cx pmctl start -n talker -- sh -c 'echo hello-out; echo hello-err >&2; i=0; while :; do i=$((i+1)); echo tick $i; sleep 1; done' >/dev/null
started() { local a; for a in web worker mine mylog talker; do cx pmctl describe "$a" >/dev/null || return 1; done; }
check "pmctl started web, worker, mine, mylog and talker" started
logs_group() { local g; g=$(cx stat -c %G /var/log/pmd/talker-out.log); echo "group of talker-out.log: $g"; [[ $g == pmd ]]; }
check "app log files belong to group pmd (the admin group reads them)" logs_group

# The browser part: a Python/Selenium driver on the host; it calls back into this script
# (as "$0 --cx ...") for pmctl, through the helper below.
helper=$(mktemp /tmp/pmd-cockpit-cx.XXXXXX)
printf '#!/bin/sh\nexec nsenter -t %s -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"\n' "$leader" >"$helper"
chmod +x "$helper"
SHOTS=${PMD_COCKPIT_SHOTS:-$(mktemp -d /tmp/pmd-cockpit-shots.XXXXXX)}
browser() {
  /usr/bin/python3 -B "$REPO/tests/system/cockpit_browser.py" --url "https://127.0.0.1:$PORT" --cx "$helper" \
    --shots "$SHOTS" "$@"
}
check "admin: login, table, 480 px without sideways scroll, stop button, pmctl ls agrees, killed instance comes back" \
  browser --user e2eadmin --password admin-pw-1 --scenario admin
check "admin: an app's page with its spec, cgroup, logs apart and live, and the plot" \
  browser --user e2eadmin --password admin-pw-1 --scenario detail
check "unprivileged: sees only its own apps, their log lines over the bus (files unreadable), stops one" \
  browser --user e2euser --password user-pw-1 --scenario user
check "dark theme: the page follows Cockpit's, text readable (computed colours), back to light" \
  browser --user e2eadmin --password admin-pw-1 --scenario dark
# 100 apps more (one app file, one start): how long the page takes to show them all.
many=$(mktemp /tmp/pmd-cockpit-many.XXXXXX.toml)
for i in $(seq 0 99); do printf '[[app]]\nname = "many%d"\ncommand = ["/bin/sleep", "%d"]\n' "$i" $((8000 + i)); done >"$many"
cx_cp "$many" /root/many.toml
rm -f "$many"
check "pmctl starts 100 apps from one file" cx pmctl start /root/many.toml
check "admin: the page shows the 100 apps (figure: how long it took)" \
  browser --user e2eadmin --password admin-pw-1 --scenario many
rm -f "$helper"
grep -h '^figure: ' "$LOG" || true
echo "cockpit-e2e: screenshots in $SHOTS"

echo "cockpit-e2e: $passed passed, $failed failed (log: $LOG)"
[[ $failed == 0 ]]
