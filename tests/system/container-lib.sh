# Sourced by tests/system/systemd-e2e.sh and cockpit-e2e.sh: a Debian 12 container booted with
# systemd-nspawn (systemd as its PID 1, the host's network) on a root tree the caller unpacked.
#
# The caller sets ROOT (the tree), NAME (machine name), LOG (the console goes to $LOG.console),
# keep (1: leave it running at the end) and defines say and die.
# start_container, wait_booted [OLD_LEADER], reboot_container, stop_container, cleanup;
# cx CMD... runs CMD in the container as root; cx_cp SRC DST copies a host file in.

leader=""      # host pid of the container's PID 1 (systemd)
nspawn_pid=""

# Starts systemd-nspawn on $ROOT and waits until the container's systemd has booted.
start_container() {
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn -D "$ROOT" --register=no --keep-unit \
    -b -q --console=pipe --machine="$NAME" </dev/null >>"$LOG.console" 2>&1 &
  nspawn_pid=$!
  wait_booted
}

wait_booted() {
  local old=${1:-} state=""
  leader=""
  for _ in $(seq 1 600); do      # up to 60 s for a (new) PID 1 on a loaded host
    leader=$(pgrep -P "$nspawn_pid" -x systemd || true)
    [[ -n $leader && $leader != "$old" ]] && break
    leader=""; sleep 0.1
  done
  [[ -n $leader ]] || { tail -20 "$LOG.console" >&2; die "the container's systemd did not start"; }
  for _ in $(seq 1 600); do      # up to 60 s to finish booting
    state=$(cx systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && return 0
    sleep 0.1
  done
  die "the container did not finish booting (state: $state)"
}

# Runs a command inside the container, as root, with a clean environment.
cx() {
  nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 "$@"
}

# Copies a host file into the running container (through its live root: /tmp is a tmpfs).
cx_cp() { cp -a "$1" "/proc/$leader/root/${2#/}"; }

# Reboots the container the way an admin would; nspawn restarts it in place.
reboot_container() {
  local old=$leader
  cx systemctl reboot >/dev/null 2>&1 || true
  for _ in $(seq 1 1200); do      # up to 120 s: shutdown stops pmd, which stops every app
    kill -0 "$old" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$nspawn_pid" 2>/dev/null; then
    wait_booted "$old"
  else                          # this nspawn exits on reboot: boot the same tree again
    start_container
  fi
}

stop_container() {
  [[ -n $nspawn_pid ]] || return 0
  if [[ -n $leader ]] && kill -0 "$leader" 2>/dev/null; then
    cx systemctl poweroff >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 200); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$nspawn_pid" 2>/dev/null && kill -KILL "$nspawn_pid" 2>/dev/null
  wait "$nspawn_pid" 2>/dev/null
  nspawn_pid=""
}

cleanup() {
  if [[ $keep == 1 && -n $nspawn_pid ]]; then
    say "kept: enter with 'nsenter -t $leader -a bash'; stop with 'kill $nspawn_pid; rm -rf $ROOT'"
    return
  fi
  stop_container
  rm -rf "$ROOT" "$LOG.console"
}
