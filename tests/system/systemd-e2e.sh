#!/usr/bin/env bash
# End-to-end test of the pmd package under a real systemd: boots a Debian 12 container
# (debootstrap + systemd-nspawn -b), installs the .deb with apt, and checks what an admin
# relies on: the unit starts and stays up under its watchdog, the bus API answers, pmctl
# works, apps in /etc/pmd.d come back after a restart and a reboot, the journal has pmd's
# log, the man pages are there, and stop/remove leave no process behind.
#
#   tests/system/systemd-e2e.sh [--deb PATH] [--keep]
#
#   --deb PATH   test this .deb instead of building one with packaging/build-deb.sh
#   --keep       leave the container running at the end (prints how to enter and stop it)
#
# Needs root and a cgroup2 hierarchy (pure or hybrid). Installs its own tools with apt-get
# (debootstrap, systemd-container). The rootfs is cached as a tarball under
# $PMD_TEST_CACHE (default /var/cache/pmd-test): about a minute the first time, then each
# boot takes a few seconds. Prints PASS/FAIL per check and "N passed, N failed"; exits
# non-zero if any check failed. The container is always removed (trap), unless --keep.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PMD_TEST_CACHE:-/var/cache/pmd-test}
NAME=pmd-e2e-$$
ROOT=/var/tmp/pmd-e2e/$NAME
LOG=$(mktemp /tmp/pmd-e2e.XXXXXX.log)
# Runtime libraries of pmd are in the rootfs so that installing the .deb needs no network
# when they are already there; apt fetches whatever a newer .deb adds.
PACKAGES="systemd,systemd-sysv,dbus,libpam-systemd,ca-certificates,man-db,procps,
openssh-server,openssh-client,libsdbus-c++1,libspdlog1.10,libfmt9,libtomlplusplus3,libyaml-cpp0.7"
PACKAGES=${PACKAGES//[[:space:]]/}

deb="" keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=$(realpath "$2"); shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "systemd-e2e: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "systemd-e2e: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root (it boots a container)"

# ---------------------------------------------------------------- host tools
need_pkgs=()
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v systemd-nspawn >/dev/null || need_pkgs+=(systemd-container)
command -v nsenter >/dev/null || need_pkgs+=(util-linux)
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  say "installing ${need_pkgs[*]}"
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >>"$LOG" 2>&1 ||
    die "apt-get install ${need_pkgs[*]} failed (see $LOG)"
fi

# ---------------------------------------------------------------- container plumbing
rootfs_tarball() {
  local key tar tmp
  key=$(echo "$PACKAGES rootfs-v2" | sha256sum | cut -c1-12)   # bump vN when the recipe changes
  tar=$CACHE/bookworm-$key.tar
  if [[ ! -f $tar ]]; then
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    say "building the Debian 12 rootfs (once; cached in $tar)"
    if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$tmp/root" >"$tmp/log" 2>&1; then
      tail -20 "$tmp/log" >&2; rm -rf "$tmp"; die "debootstrap failed"
    fi
    echo pmd-test >"$tmp/root/etc/hostname"
    # nspawn shares the host's network: the container's sshd must not listen on the host's
    # port 22. The pmctl -H check starts its own sshd on a loopback port instead.
    systemctl --root="$tmp/root" mask ssh.service ssh.socket >/dev/null 2>&1
    # Keep man pages: minbase has no dpkg path-exclude, but make sure man-db indexes them.
    tar -C "$tmp/root" -cf "$tar.part" . && mv "$tar.part" "$tar"
    rm -rf "$tmp"
  fi
  echo "$tar"
}

source "$REPO/tests/system/container-lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- checks
passed=0 failed=0
check() {     # check NAME COMMAND...: runs COMMAND, PASS if it exits 0
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "PASS: $name"; passed=$((passed + 1))
  else
    echo "FAIL: $name"; failed=$((failed + 1))
    [[ -n $out ]] && sed 's/^/      /' <<<"$out" | tail -15
  fi
  printf '== %s\n%s\n' "$name" "$out" >>"$LOG"
}

# Retries COMMAND every 0.2 s for up to SECONDS; the last output is shown on failure.
within() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds)) out
  while true; do
    if out=$("$@" 2>&1); then return 0; fi
    ((SECONDS >= deadline)) && { echo "$out"; return 1; }
    sleep 0.2
  done
}

unit_active() { [[ $(cx systemctl is-active pmd) == active ]] || { cx systemctl status pmd --no-pager; return 1; }; }
ls_has() { cx pmctl ls --json | grep -q "\"name\" *: *\"$1\""; }
# Processes whose command line is exactly "sleep <marker>" (the apps this test starts).
# Processes whose command line is exactly "[/path/]ARGS" (pmd execs /bin/sleep as given).
app_procs() { cx pgrep -f -- "(^|/)$1\$" || true; }
has_app_proc() { [[ -n $(app_procs "$1") ]]; }
no_app_procs() {
  local p; p=$(app_procs "$1")
  [[ -z $p ]] || { echo "still running: $(cx ps -o pid,cgroup,args -p "${p//$'\n'/,}")"; return 1; }
}
main_pid() { cx systemctl show -P MainPID pmd; }
restarts() { cx systemctl show -P NRestarts pmd; }
app_pids() { cx pmctl ls --json | grep -o '"pid" *: *[0-9]*' | grep -o '[0-9]*$' | sort | tr '\n' ' '; }
# Whether the journal (journalctl's matches and options in "$@", -o cat) has a line matching
# PATTERN. It is read to its end first: `journalctl | grep -q` under pipefail fails whenever
# grep finds its line early and quits while journalctl is still writing (SIGPIPE), which is
# what made a check fail without a word once an earlier restart had logged the same line.
journal_has() {
  local pattern=$1 text; shift
  text=$(cx journalctl --no-pager -o cat "$@") || { echo "journalctl $* failed"; return 1; }
  grep -q -- "$pattern" <<<"$text" || { echo "no '$pattern' in journalctl $*"; return 1; }
}
# The state letter ps gives a process (R, S, T stopped, Z exited but not reaped), or nothing.
proc_state() { cx ps -o stat= -p "$1" | cut -c1; }

# ---------------------------------------------------------------- the run
if [[ -z $deb ]]; then
  say "building the .deb (packaging/build-deb.sh)"
  deb=$(DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck parallel=$(nproc)"} \
        "$REPO/packaging/build-deb.sh" --install-deps "$(mktemp -d /tmp/pmd-e2e-deb.XXXXXX)" | tail -1) ||
    die "building the .deb failed"
fi
[[ -f $deb ]] || die "no .deb at '$deb'"
say "testing $deb"

tar=$(rootfs_tarball) || exit 1
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$tar" || die "cannot unpack $tar"
start_container
say "container $NAME booted (PID 1 is host pid $leader)"

cx_cp "$deb" /root/pmd.deb
install_deb() {
  cx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb ||
    { cx apt-get update -qq && cx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb; }
}
check "apt installs the package" install_deb
check "the pmd group exists (sysusers)" cx getent group pmd
check "/var/lib/pmd and /var/log/pmd exist (tmpfiles)" cx test -d /var/lib/pmd -a -d /var/log/pmd
check "unit file passes systemd-analyze verify" cx systemd-analyze verify /lib/systemd/system/pmd.service

check "systemctl enable --now pmd" cx systemctl enable --now pmd
check "pmd.service is active" within 10 unit_active
check "busctl calls Manager.Ping" cx busctl call org.pmd.God1 /org/pmd/God1 org.pmd.God1.Manager Ping
introspects() {   # read whole first, as journal_has does
  local text; text=$(cx busctl introspect org.pmd.God1 /org/pmd/God1) && grep -q org.pmd.God1.Manager <<<"$text"
}
check "busctl introspects /org/pmd/God1" introspects
in_cgroup() {   # in_cgroup PID PREFIX: the process's cgroup2 path starts with PREFIX
  [[ -n $1 ]] || { echo "no process"; return 1; }
  local cg; cg=$(cx sed -n 's/^0:://p' "/proc/$1/cgroup"); echo "cgroup of $1: $cg"
  [[ $cg == "$2"* ]]
}
check "pmd runs in its delegated cgroup's supervisor/ leaf" \
  in_cgroup "$(main_pid)" /system.slice/pmd.service/supervisor
check "pmctl ping" cx pmctl ping
check "pmctl start" cx pmctl start -n e2e-adhoc -- /bin/sleep 4242
check "pmctl ls shows the app" within 5 ls_has e2e-adhoc
check "the app runs below apps/ in pmd's cgroup" \
  in_cgroup "$(app_procs 'sleep 4242' | head -1)" /system.slice/pmd.service/apps/

# App files: declared in /etc/pmd.d, started when pmd starts.
printf '[[app]]\nname = "e2e-declared"\ncommand = ["/bin/sleep", "4343"]\n' >"$ROOT.app.toml"
cx_cp "$ROOT.app.toml" /etc/pmd.d/e2e.toml; rm -f "$ROOT.app.toml"
check "systemctl restart pmd" cx systemctl restart pmd
check "pmd is active after the restart" within 10 unit_active
check "/etc/pmd.d app runs after systemctl restart pmd" within 10 ls_has e2e-declared
check "/etc/pmd.d app process is alive" within 5 has_app_proc 'sleep 4343'
check "the restart stopped the ad-hoc app's process" no_app_procs "sleep 4242"

# Watchdog: the shipped unit asks for one; a short one must be met for many periods.
watchdog_set() { local v; v=$(cx systemctl show -P WatchdogUSec pmd); echo "WatchdogUSec=$v"; [[ -n $v && $v != 0 && $v != infinity ]]; }
check "WatchdogUSec is set by the unit" watchdog_set
mkdir -p "$ROOT/etc/systemd/system/pmd.service.d"
printf '[Service]\nWatchdogSec=2s\n' >"$ROOT/etc/systemd/system/pmd.service.d/e2e-watchdog.conf"
cx systemctl daemon-reload
cx systemctl restart pmd
within 10 unit_active >/dev/null
pid_before=$(main_pid) restarts_before=$(restarts)
sleep 9   # 4.5 watchdog periods
same_pmd() {
  echo "MainPID $pid_before -> $(main_pid), NRestarts $restarts_before -> $(restarts), $(cx systemctl is-active pmd)"
  [[ $(main_pid) == "$pid_before" && $(restarts) == "$restarts_before" ]] && unit_active >/dev/null
}
no_watchdog_timeout() { ! cx journalctl -u pmd --no-pager | grep -i 'watchdog timeout'; }
check "pmd stays active over 4 watchdog periods of 2 s (same MainPID, no restart)" same_pmd
check "no watchdog timeout in the journal" no_watchdog_timeout
# A pmd that stays frozen misses the watchdog: systemd aborts it (SIGABRT and SIGCONT; result
# "watchdog", so ExecStopPost leaves the apps alone), starts it again, and the new pmd takes
# every app back from the live file. The kill -9 check below runs in the same boot after it.
frozen_pmd_restarted() {
  local before pid_before restarts_before new
  before=$(app_pids); pid_before=$(main_pid); restarts_before=$(restarts)
  [[ -n ${before// /} ]] || { echo "no app pids before"; return 1; }
  cx kill -STOP "$pid_before" || { echo "kill -STOP of MainPID '$pid_before' failed"; return 1; }
  for _ in $(seq 150); do
    [[ $(main_pid) != "$pid_before" && $(main_pid) != 0 ]] && unit_active >/dev/null 2>&1 && break
    sleep 0.2
  done
  new=$(main_pid)
  [[ $new != "$pid_before" ]] || { echo "MainPID still $pid_before ($(proc_state "$pid_before"))"; return 1; }
  within 10 unit_active >/dev/null || { unit_active; return 1; }
  echo "MainPID $pid_before -> $new, NRestarts $restarts_before -> $(restarts)"
  [[ $(app_pids) == "$before" ]] || { echo "pids before: $before after: $(app_pids)"; return 1; }
  journal_has "Failed with result 'watchdog'" -u pmd || return 1
  journal_has 'taking its .* app(s) back' _PID="$new"
}
check "frozen pmd: the watchdog restarts it and it takes every app back, same pids" frozen_pmd_restarted
rm -rf "$ROOT/etc/systemd/system/pmd.service.d"
cx systemctl daemon-reload

journal_has_pmd() { cx journalctl -u pmd -o cat _COMM=pmd --no-pager | grep .; }
man_pmctl() { cx env MANWIDTH=80 man pmctl 2>&1 | grep 'pmctl - control'; }
check "journalctl -u pmd shows pmd's own log lines" journal_has_pmd
check "man pmctl renders" man_pmctl
check "man pmd, pmd.toml, org.pmd.God1 render" cx sh -c 'for p in 8/pmd 5/pmd.toml 5/org.pmd.God1; do MANWIDTH=80 man ${p%%/*} ${p#*/} >/dev/null || exit 1; done'

# A counter app: one numbered line every 0.1 s, so a lost or doubled line shows as a gap or a repeat.
cx pmctl start -n e2e-counter -- sh -c 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done' >/dev/null
reload_ok() { cx systemctl reload pmd && unit_active; }
check "systemctl reload pmd keeps it active" reload_ok

# Surviving its own restart: the daemon is replaced (reload = re-exec) or crashes (kill -9), and every worker
# lives on with the same pid; after the crash, pmd takes its apps back from their cgroups.
main_pid() { cx systemctl show -p MainPID --value pmd; }
reexec_keeps_pids() {
  local before pid_before after
  before=$(app_pids); pid_before=$(main_pid)
  [[ -n ${before// /} ]] || { echo "no app pids before"; return 1; }
  cx systemctl reload pmd || return 1
  after=$(app_pids)
  [[ $before == "$after" ]] || { echo "pids before: $before after: $after"; return 1; }
  [[ $(main_pid) == "$pid_before" ]] || { echo "MainPID changed"; return 1; }
  journal_has 're-executing' _PID="$pid_before"
}
check "systemctl reload pmd re-executes pmd: same MainPID, same app pids" reexec_keeps_pids
ticks() { cx sh -c 'sed -n "s/^.*tick \([0-9]*\)$/\1/p" /var/log/pmd/e2e-counter-out.log'; }
last_tick() { ticks | tail -1; }
has_ticks() { [[ -n $(last_tick) ]]; }
crash_keeps_pids() {
  local before pid_before after
  within 5 has_ticks >/dev/null || { echo "the counter app wrote nothing"; return 1; }
  before=$(app_pids); pid_before=$(main_pid)
  cx kill -9 "$pid_before" || { echo "kill -9 of MainPID '$pid_before' failed"; return 1; }
  for _ in $(seq 100); do
    [[ $(main_pid) != "$pid_before" && $(main_pid) != 0 ]] && unit_active >/dev/null 2>&1 && break
    sleep 0.2
  done
  unit_active || return 1
  after=$(app_pids)
  [[ $before == "$after" ]] || { echo "pids before: $before after: $after"; return 1; }
  # This pmd's own line, not one an earlier restart (the watchdog's) logged.
  journal_has 'taking its .* app(s) back' _PID="$(main_pid)"
}
check "kill -9 of pmd: systemd restarts it, every app is taken back with the same pids" crash_keeps_pids
# The log pipes were in systemd's fd store: what the counter wrote while no pmd was reading
# waited in its pipe, and every line is in the file once, in order, before and after the crash.
tick_after_crash=""
counter_goes_on() {
  local t; t=$(last_tick); [[ -n $tick_after_crash && $t -gt $((tick_after_crash + 10)) ]] || { echo "last tick $t"; return 1; }
}
every_tick_once() {
  local n bad
  n=$(ticks | wc -l)
  bad=$(ticks | awk 'NR != $1 { print "line " NR ": tick " $1; exit }')
  echo "$n ticks"; [[ -z $bad ]] || { echo "first gap or repeat at $bad"; return 1; }
}
tick_after_crash=$(last_tick)
check "after the crash the counter app's output still reaches its log (pipe from the fd store)" within 10 counter_goes_on
check "every counter line is in the log once, in order, across re-exec and crash" every_tick_once
fd_store_used() { cx journalctl -u pmd -o cat --no-pager | grep "fd(s) back from systemd's fd store"; }
check "pmd took the log pipes back from the fd store" fd_store_used
cx pmctl delete e2e-counter >/dev/null 2>&1

# A pmd frozen for less than WatchdogSec= (30 s here) is left alone by systemd, and after
# SIGCONT it handles every exit that happened while it was stopped: each app replaced once,
# its last exit recorded with its reason and code. faults_test.cc proves this in detail
# without systemd; here it is under the shipped unit, with the watchdog running.
exit_handled() {   # exit_handled APP OLD_PID REASON CODE
  local j; j=$(cx pmctl describe "$1" --json | tr -d ' \n') || return 1
  local pid; pid=$(grep -o '"pid":[0-9]*' <<<"$j" | head -1 | cut -d: -f2)
  echo "$1: pid $2 -> $pid; $(grep -o '"\(state\|restarts\|last_exit_[a-z]*\)":[^,}]*' <<<"$j" | tr '\n' ' ')"
  [[ -n $pid && $pid != "$2" && $j =~ \"state\":\"online\" && $j =~ \"restarts\":1[,}] &&
     $j =~ \"last_exit_pid\":$2[,}] && $j =~ \"last_exit_reason\":\"$3\" && $j =~ \"last_exit_code\":$4[,}] ]]
}
short_freeze_handled() {
  local pmd_pid restarts_before a b q t0 p app
  cx sh -c 'rm -f /run/e2e-quit && mkfifo /run/e2e-quit' || return 1
  for app in e2e-frz-a:4747 e2e-frz-b:4848; do
    cx pmctl start -n "${app%%:*}" -- /bin/sleep "${app#*:}" >/dev/null || return 1
  done
  # Exits 7 when a line reaches the FIFO: an exit of its own, not a signal.
  cx pmctl start -n e2e-frz-q -- sh -c 'read line </run/e2e-quit; exit 7' >/dev/null || return 1
  a=$(cx pmctl pid e2e-frz-a) b=$(cx pmctl pid e2e-frz-b) q=$(cx pmctl pid e2e-frz-q)
  [[ -n $a && -n $b && -n $q ]] || { echo "pids: '$a' '$b' '$q'"; return 1; }
  pmd_pid=$(main_pid); restarts_before=$(restarts)
  [[ $(cx systemctl show -P WatchdogUSec pmd) == 30s ]] || { echo "WatchdogUSec=$(cx systemctl show -P WatchdogUSec pmd), not 30s"; return 1; }
  cx kill -STOP "$pmd_pid" || return 1
  t0=$SECONDS
  within 5 eval '[[ $(proc_state '"$pmd_pid"') == T ]]' || { echo "pmd not stopped: $(proc_state "$pmd_pid")"; return 1; }
  cx kill -KILL "$a" "$b" || return 1
  cx timeout 10 sh -c 'echo quit >/run/e2e-quit' || { echo "the quitter never read its FIFO"; return 1; }
  # Each has exited; pmd, stopped, cannot reap them: they stay zombies until SIGCONT.
  for p in "$a" "$b" "$q"; do
    within 10 eval '[[ $(proc_state '"$p"') == Z ]]' || { echo "pid $p: state '$(proc_state "$p")', not exited"; return 1; }
  done
  (( SECONDS - t0 < 10 )) && sleep $((10 - (SECONDS - t0)))   # the freeze lasts 10 s
  [[ $(proc_state "$pmd_pid") == T ]] || { echo "pmd $pmd_pid is '$(proc_state "$pmd_pid")' before SIGCONT"; return 1; }
  cx kill -CONT "$pmd_pid" || return 1
  within 20 exit_handled e2e-frz-a "$a" killed 9 || return 1
  within 5 exit_handled e2e-frz-b "$b" killed 9 || return 1
  within 5 exit_handled e2e-frz-q "$q" exited 7 || return 1
  echo "MainPID $pmd_pid -> $(main_pid), NRestarts $restarts_before -> $(restarts)"
  [[ $(main_pid) == "$pmd_pid" && $(restarts) == "$restarts_before" ]] && unit_active >/dev/null
}
check "pmd frozen 10 s (under WatchdogSec=30s): after SIGCONT every exit is handled once, same MainPID" short_freeze_handled
for app in e2e-frz-a e2e-frz-b e2e-frz-q; do cx pmctl delete "$app" >/dev/null 2>&1; done
cx rm -f /run/e2e-quit

# pmctl -H [user@]host: the remote host's system bus over SSH (sd-bus runs
# "ssh -xT HOST systemd-stdio-bridge"), here the container talking to itself through an sshd
# on a loopback port with a key made for the test.
ssh_port=$((20000 + RANDOM % 20000))
start_sshd() {
  cx mkdir -p /run/sshd /root/.ssh && cx chmod 700 /root/.ssh || return 1
  cx sh -c '[ -f /root/.ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N "" -f /root/.ssh/id_ed25519' &&
    cx sh -c 'cat /root/.ssh/id_ed25519.pub > /root/.ssh/authorized_keys' || return 1
  cx sh -c "printf 'Host pmd-remote\n  HostName 127.0.0.1\n  Port $ssh_port\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n' > /root/.ssh/config"
  cx /usr/sbin/sshd -o ListenAddress=127.0.0.1:$ssh_port -o PidFile=/run/sshd-e2e.pid
}
remote_ls() { cx pmctl -H root@pmd-remote ls | grep e2e-declared; }
remote_start() {
  cx pmctl -H root@pmd-remote start -n e2e-remote -- /bin/sleep 4646 && within 5 ls_has e2e-remote &&
    within 5 has_app_proc 'sleep 4646' && cx pmctl -H root@pmd-remote delete e2e-remote && within 5 no_app_procs 'sleep 4646'
}
if check "an sshd on 127.0.0.1:$ssh_port in the container (for pmctl -H)" start_sshd; then
  check "pmctl -H root@host ls lists the apps over SSH" remote_ls
  check "pmctl -H root@host start and delete an app over SSH" remote_start
  cx sh -c 'kill $(cat /run/sshd-e2e.pid)' >/dev/null 2>&1
fi

# journald sink: instance output carries PMD_APP, PMD_INSTANCE, SYSLOG_IDENTIFIER, PRIORITY
# (stderr 3, stdout 6), and pmctl logs reads the journal when that is the only sink.
journal_lines() { cx journalctl "$@" -o cat 2>/dev/null; }
journal_sink_fields() {
  cx cp /etc/pmd.toml /etc/pmd.toml.e2e-saved || return 1
  cx sh -c 'echo "log_sink = \"both\"" >> /etc/pmd.toml' && cx systemctl restart pmd || return 1
  cx pmctl start -n jtest --no-autorestart -- sh -c 'echo to-out; echo to-err >&2; sleep 30' || return 1
  for _ in $(seq 100); do journal_lines PMD_APP=jtest | grep -q to-err && break; sleep 0.1; done
  [[ $(journal_lines PMD_APP=jtest PRIORITY=3) == to-err ]] || { echo "PRIORITY=3: $(journal_lines PMD_APP=jtest PRIORITY=3)"; return 1; }
  [[ $(journal_lines PMD_APP=jtest PRIORITY=6) == to-out ]] || { echo "PRIORITY=6: $(journal_lines PMD_APP=jtest PRIORITY=6)"; return 1; }
  cx journalctl PMD_APP=jtest -o export | grep -qx 'PMD_INSTANCE=0' &&
    cx journalctl PMD_APP=jtest -o export | grep -qx 'SYSLOG_IDENTIFIER=jtest'
}
journal_only_logs() {
  cx sh -c 'cp /etc/pmd.toml.e2e-saved /etc/pmd.toml && echo "log_sink = \"journal\"" >> /etc/pmd.toml' &&
    cx systemctl restart pmd || return 1
  cx pmctl start -n jtest2 --no-autorestart -- sh -c 'echo hi; echo oops >&2; sleep 30' || return 1
  for _ in $(seq 100); do cx pmctl logs jtest2 -n 5 | grep -q 'jtest2\[0\] err | oops' && break; sleep 0.1; done
  cx pmctl logs jtest2 -n 5 | grep -qx 'jtest2\[0\] | hi'
}
check "journald sink: PMD_APP, PMD_INSTANCE, SYSLOG_IDENTIFIER, PRIORITY" journal_sink_fields
check "pmctl logs reads the journal when it is the only sink" journal_only_logs
cx sh -c 'mv /etc/pmd.toml.e2e-saved /etc/pmd.toml; pmctl delete jtest; pmctl delete jtest2; systemctl restart pmd' >/dev/null 2>&1

# The bus daemon dies under pmd: pmd stays (same MainPID), keeps its apps, and is reachable
# again once dbus.socket has activated a new bus daemon.
bus_loss_survived() {
  local before pid_before bus
  before=$(app_pids); pid_before=$(main_pid)
  bus=$(cx systemctl show -P MainPID dbus)
  [[ -n $bus && $bus != 0 ]] || { echo "no dbus-daemon"; return 1; }
  cx kill -9 "$bus" || return 1
  within 30 cx busctl call org.pmd.God1 /org/pmd/God1 org.pmd.God1.Manager Ping >/dev/null || return 1
  [[ $(main_pid) == "$pid_before" ]] || { echo "MainPID $pid_before -> $(main_pid)"; return 1; }
  [[ $(app_pids) == "$before" ]] || { echo "pids before: $before after: $(app_pids)"; return 1; }
  journal_has 'connected again to' _PID="$pid_before"
}
check "the bus daemon dies: pmd stays, keeps its apps, and answers on the new bus" bus_loss_survived

# Reboot: enabled unit and app files bring everything back.
reboot_container
say "container rebooted (PID 1 is host pid $leader)"
check "pmd is active after a reboot" within 20 unit_active
check "/etc/pmd.d app runs after a reboot" within 10 ls_has e2e-declared

# Stop and remove leave nothing behind.
cx pmctl start -n e2e-adhoc2 -- /bin/sleep 4444 >/dev/null 2>&1
check "systemctl stop pmd" cx systemctl stop pmd
stop_clean() { no_app_procs 'sleep 4343' && no_app_procs 'sleep 4444'; }
activation() { cx busctl call org.pmd.God1 /org/pmd/God1 org.pmd.God1.Manager Ping && unit_active; }
check "systemctl stop pmd leaves no app process" stop_clean
check "D-Bus activation starts pmd.service" activation
within 10 ls_has e2e-declared >/dev/null
check "apt remove pmd" cx env DEBIAN_FRONTEND=noninteractive apt-get remove -y pmd
remove_clean() { no_app_procs 'sleep 4343' && ! cx pgrep -a -x pmd; }
check "apt remove leaves no pmd or app process" remove_clean

echo "$passed passed, $failed failed"
[[ $failed == 0 ]] || say "details of every check: $LOG"
[[ $failed == 0 ]] && rm -f "$LOG"
exit $((failed > 0))
