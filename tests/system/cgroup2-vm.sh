#!/usr/bin/env bash
# pmd where it runs: a Debian 12 VM (qemu, its own kernel, systemd 252 as PID 1, pure cgroup2
# with cpuset cpu io memory hugetlb pids rdma misc). Installs the .deb with apt, then checks
# what no container on a hybrid-cgroup host can show: systemd brings a crashed pmd (kill -9,
# SIGSEGV) back into its unit although controllers are delegated, every app keeps its pids,
# limits and log pipe; the kernel enforces the limits; stop leaves nothing behind.
#
#   tests/system/cgroup2-vm.sh [--deb PATH] [--pmd BIN]
#
#   --deb PATH  test this .deb instead of tests/system/cached-deb.sh's
#   --pmd BIN   after installing, replace /usr/sbin/pmd with BIN and the unit with this tree's
#               units/pmd.service (trying a build without packaging it; not what CI does)
#
# Needs root; installs qemu-system-x86, qemu-utils, debootstrap and openssh-client with apt-get
# when missing. Prints "SKIP: ..." and exits 0 when qemu cannot be had. The image is cached
# under $PMD_TEST_CACHE/vm (about 80 s to build, once); a boot takes about 20 s; code in the
# VM runs about 17x slower than on the host (TCG), so the checks are few.
# Prints PASS/FAIL per check, the figures, and "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# Runtime dependencies of the .deb (and polkitd, its Recommends): the VM has no network.
VM_PACKAGES="libsdbus-c++1,libspdlog1.10,libfmt9,libtomlplusplus3,libyaml-cpp0.7,libcpp-httplib0.11,polkitd"
source "$HERE/vm-lib.sh"

deb="" pmd_bin=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=$(realpath "$2"); shift ;;
    --pmd) pmd_bin=$(realpath "$2"); shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cgroup2-vm: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "cgroup2-vm: $*" >&2; }
[[ $(id -u) == 0 ]] || { echo "SKIP: the cgroup2 VM test needs root"; exit 0; }

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v ssh >/dev/null || need+=(openssh-client)
if [[ ${#need[@]} -gt 0 ]]; then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; }
fi
command -v qemu-system-x86_64 >/dev/null && command -v debootstrap >/dev/null ||
  { echo "SKIP: cgroup2 VM test: qemu-system-x86 or debootstrap cannot be installed here"; exit 0; }

t_start=$SECONDS
trap vm_stop EXIT
trap 'exit 130' INT TERM
if [[ -z $deb ]]; then deb=$("$HERE/cached-deb.sh" | tail -1) || { say "building the .deb failed"; exit 1; }; fi
[[ -f $deb ]] || { say "no .deb at '$deb'"; exit 1; }
t_deb=$SECONDS
vm_boot || { say "the VM did not boot"; exit 1; }
t_boot=$SECONDS
say "VM up after $((t_boot - t_deb)) s (.deb ready after $((t_deb - t_start)) s)"

passed=0 failed=0
check() {   # check NAME CMD...: PASS when CMD exits 0; its output is shown on failure
  local name=$1 out; shift
  if out=$("$@" 2>&1); then echo "PASS: $name"; passed=$((passed + 1))
  else echo "FAIL: $name"; failed=$((failed + 1)); [[ -n $out ]] && sed 's/^/      /' <<<"$out" | tail -25; fi
}
within() {  # within SECONDS CMD...: retries CMD every 0.5 s until it passes or time is up
  local deadline=$((SECONDS + $1)) out; shift
  until out=$("$@" 2>&1); do ((SECONDS < deadline)) || { echo "$out"; return 1; }; sleep 0.5; done
}
# Figures go to a file: checks run in subshells.
FIG=$(mktemp /tmp/cgroup2-vm-figures.XXXXXX)
figure() { echo "$*" >>"$FIG"; }

# ---------------------------------------------------------------- install
# Apps declared before the package starts pmd: a counter (numbered lines, so a lost or doubled
# line shows) with every limit, and a sleeper.
cat >/tmp/cgroup2-vm.$$.toml <<'EOF'
[[app]]
name = "vm-counter"
command = ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.2; done"]
memory_max = "96M"
pids_max = 32
cpu_max = 50

[[app]]
name = "vm-sleeper"
command = ["/bin/sleep", "4242"]
EOF
vx mkdir -p /etc/pmd.d && vm_cp /tmp/cgroup2-vm.$$.toml /etc/pmd.d/vm.toml && vm_cp "$deb" /root/pmd.deb
rm -f /tmp/cgroup2-vm.$$.toml
install_deb() {
  vx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb >/dev/null || return 1
  if [[ -n $pmd_bin ]]; then
    vx systemctl stop pmd; vm_cp "$pmd_bin" /usr/sbin/pmd || return 1
    vx sh -c ': >/var/log/pmd/vm-counter-out.log'   # the counter starts again at tick 1
    vm_cp "$HERE/../../units/pmd.service" "$(vx systemctl show -P FragmentPath pmd)" && vx systemctl daemon-reload
  fi
  vx systemctl enable --now pmd
}
check "apt-get install of the .deb (no network) and systemctl enable --now pmd" install_deb
check "pmd answers on the system bus" within 60 vx pmctl ls
check "the VM has systemd 252 and every controller" vx sh -c \
  'systemctl --version | head -1 | grep -q "systemd 252" && for c in cpu io memory pids; do grep -qw $c /sys/fs/cgroup/cgroup.controllers || exit 1; done'

app_pids() { vx pmctl ls --json | grep -o '"pid" *: *[0-9]*' | grep -o '[0-9]*$' | sort -n | tr '\n' ' '; }
two_apps_up() { [[ $(app_pids | wc -w) == 2 ]] || { vx pmctl ls; return 1; }; }
check "both /etc/pmd.d apps run" within 60 two_apps_up
# The counter's cgroup: memory.max, pids.max and cpu.max set by pmd, enforced by the kernel.
counter_cg() { vx sh -c 'cat /proc/$(pgrep -f "tick" | head -1)/cgroup | sed -n "s|^0::|/sys/fs/cgroup|p"'; }
limits_set() {
  local cg; cg=$(counter_cg) || return 1
  vx sh -c "cd $cg && grep -qx 100663296 memory.max && grep -qx 32 pids.max && grep -qx '50000 100000' cpu.max" ||
    { echo "cgroup $cg:"; vx sh -c "cd $cg && head memory.max pids.max cpu.max"; return 1; }
}
check "memory_max, pids_max and cpu_max are in the instance cgroup" limits_set
vx sh -c 'systemd-cgls --no-pager -u pmd.service; systemd-cgls --no-pager -u pmd-apps.scope' 2>/dev/null | sed 's/^/      /'

# ---------------------------------------------------------------- crash: kill -9 and SIGSEGV
# Measured inside the VM (ssh round trips would count otherwise): from the signal to the
# first answer of the restarted pmd.
crash() {   # crash HOW: HOW is "kill9" or "segv"
  local before after ms
  before=$(app_pids)
  ms=$(vx timeout 120 sh -c '
    old=$(systemctl show -P MainPID pmd); t0=$(date +%s%N)
    if [ "$1" = kill9 ]; then kill -9 "$old"; else systemctl kill -s SEGV pmd; fi
    while :; do
      new=$(systemctl show -P MainPID pmd)
      if [ "$new" != "$old" ] && [ "$new" != 0 ] && pmctl ls >/dev/null 2>&1; then break; fi
      sleep 0.02
    done
    echo $(( ($(date +%s%N) - t0) / 1000000 ))' _ "$1") || {
      vx journalctl -u pmd -n 30 --no-pager; return 1; }
  within 30 two_apps_up || return 1
  after=$(app_pids)
  [[ $before == "$after" ]] || { echo "app pids before: $before, after: $after"; vx pmctl ls; return 1; }
  figure "$1 of pmd -> pmd answering again: $ms ms (in the VM, TCG)"
}
check "kill -9 of pmd: systemd restarts it, both apps keep their pids" crash kill9
check "systemctl kill -s SEGV pmd: systemd restarts it, both apps keep their pids" crash segv
check "the limits are still in the counter's cgroup after two crashes" limits_set
check "pmd.service restarted twice and is active" vx sh -c \
  '[ "$(systemctl show -P NRestarts pmd)" = 2 ] && [ "$(systemctl is-active pmd)" = active ]'
# The counter's pipe was kept in systemd's fd store: every line once, in order, and new ones.
ticks_once_in_order() {
  vx sh -c 'n=$(sed -n "s/^.*tick \([0-9]*\)$/\1/p" /var/log/pmd/vm-counter-out.log | awk "\$1 != NR { print \"line \" NR \" is tick \" \$1; bad=1; exit } END { if (!bad) print NR }")
            case $n in line*) echo "$n"; exit 1;; esac; [ "$n" -gt 20 ] || { echo "only $n ticks"; exit 1; }'
}
check "every counter line is in its log once, in order, across both crashes" within 20 ticks_once_in_order

# ---------------------------------------------------------------- the kernel enforces the limits
# A hog of each kind, in a file pmd reads (pmctl start FILE.toml). dd's 64 MiB buffer is
# memory the process touches at once.
cat >/tmp/cgroup2-vm.$$.toml <<'EOF2'
[[app]]
name = "hog-mem"
command = ["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1000000000"]
memory_max = "32M"

[[app]]
name = "hog-cpu"
command = ["/bin/sh", "-c", "while :; do :; done"]
cpu_max = 20

[[app]]
name = "hog-pids"
command = ["/bin/sh", "-c", "for i in $(seq 40); do sleep 1000 & done; wait"]
pids_max = 8

[[app]]
name = "hog-restart"
command = ["/bin/sh", "-c", "echo start $(date +%s%N); exec dd if=/dev/zero of=/dev/null bs=64M count=1000000000"]
max_memory_restart = "32M"
EOF2
vm_cp /tmp/cgroup2-vm.$$.toml /root/hogs.toml; rm -f /tmp/cgroup2-vm.$$.toml
app_cg() { vx sh -c "ls -d /sys/fs/cgroup/*/pmd-apps.scope/apps/$1.app /sys/fs/cgroup/*/pmd.service/apps/$1.app 2>/dev/null | head -1"; }
event_count() {  # event_count APP FILE KEY: KEY's count in FILE of the app's cgroups
  local cg; cg=$(app_cg "$1"); [[ -n $cg ]] || { echo "no cgroup for $1"; return 1; }
  # Summed over the app cgroup and its instances: nr_throttled and pids.events count where
  # the limit is, in the instance cgroup; memory.events is hierarchical.
  vx sh -c "cat $cg/$2 $cg/*/$2 2>/dev/null | sed -n 's/^$3 //p' | awk '{ n += \$1 } END { print n + 0 }'"
}
positive() { local n; n=$(event_count "$@") || return 1; [[ ${n:-0} -gt 0 ]] || { echo "$1 $2 $3 = '$n'"; return 1; }; }
check "pmctl start of four hogs" vx pmctl start /root/hogs.toml
check "memory_max: the kernel OOM-kills the memory hog (memory.events oom_kill)" within 90 positive hog-mem memory.events oom_kill
check "cpu_max: the kernel throttles the CPU hog (cpu.stat nr_throttled)" within 60 positive hog-cpu cpu.stat nr_throttled
check "pids_max: the kernel refuses the fork hog's forks (pids.events max)" within 60 positive hog-pids pids.events max
cpu_capped() {   # the hog's share of one CPU over 3 s, both ends read in the VM: 20 % (+ slack)
  local cg pct; cg=$(app_cg hog-cpu)
  pct=$(vx sh -c 'u() { sed -n "s/^usage_usec //p" "$1/cpu.stat"; }
    a=$(u "$1"); t0=$(date +%s%N); sleep 3; b=$(u "$1"); t1=$(date +%s%N)
    echo $(( (b - a) * 100000 / (t1 - t0) ))' _ "$cg")
  figure "hog-cpu with cpu_max 20: $pct % of one CPU over 3 s"
  (( pct <= 30 )) || { echo "usage $pct %"; return 1; }
}
check "cpu_max 20 holds the CPU hog near 20 % of a CPU" cpu_capped
# CPU% of every instance, sampled while the hogs run and hog-restart restarts in its reused
# cgroup: never above 100 x the VM's CPUs.
cpu_sane() {
  local ncpu max=0 v
  ncpu=$(vx nproc)
  for _ in 1 2 3 4 5 6; do
    v=$(vx pmctl ls --json | grep -o '"cpu_percent" *: *[0-9.e+-]*' | sed 's/.*: *//' |
        awk '{ v = int($1 + 0); if (v > m) m = v } END { print m + 0 }')
    ((v > max)) && max=$v
    vx sleep 0.5
  done
  figure "highest CPU% seen with four hogs (one restarting): $max % (VM CPUs: $ncpu)"
  ((max <= 100 * ncpu)) || { echo "CPU% $max on $ncpu CPUs"; return 1; }
}
check "CPU% never above 100 x CPUs, also in a restarted instance's cgroup" cpu_sane
# max_memory_restart through memory.events: from the hog's start line (just before it
# touches its 64 MiB, an upper bound of the crossing) to pmd's restart line in the journal.
restart_latency() {
  local t0 t1
  within 90 positive hog-restart memory.events high >/dev/null || { echo "no memory.high event"; return 1; }
  within 30 vx sh -c 'journalctl -u pmd -o short-unix --no-pager | grep -q "hog-restart.*max_memory_restart"' || return 1
  t1=$(vx sh -c 'journalctl -u pmd -o short-unix --no-pager | grep "hog-restart.*max_memory_restart" | head -1 | cut -d" " -f1')
  t0=$(vx sh -c 'sed -n "s/^.*start \([0-9]*\)$/\1/p" /var/log/pmd/hog-restart-out.log | head -1')
  [[ -n $t0 && -n $t1 ]] || { echo "t0='$t0' t1='$t1'"; return 1; }
  figure "max_memory_restart: hog start -> pmd's restart $(( (${t1/./} - t0 / 1000) / 1000 )) ms (upper bound; includes dd's exec and page faults under TCG)"
}
check "max_memory_restart restarts the hog through memory.events" restart_latency
vx pmctl delete hog-mem hog-cpu hog-pids hog-restart >/dev/null 2>&1 || vx sh -c 'for a in hog-mem hog-cpu hog-pids hog-restart; do pmctl delete $a; done' >/dev/null 2>&1

# ---------------------------------------------------------------- wall clock jumps
# cron_restart timers are absolute CLOCK_REALTIME ones. The promise: a slot that a forward jump
# passes over runs once (several passed at once: once in all); a slot already run does not
# run again when the clock goes back over it. Only a VM may set its clock.
cron_restarts() { vx pmctl ls --json | tr -d ' \n' | grep -o '"name":"vm-cron"[^]]*' | grep -o '"restarts":[0-9]*' | head -1 | cut -d: -f2; }
restarts_are() { local n; n=$(cron_restarts); [[ $n == "$1" ]] || { echo "vm-cron restarts: '$n', want $1"; return 1; }; }
clock_jumps() {
  vx date -s "2030-01-01 10:30:00" >/dev/null || return 1
  vx pmctl start -n vm-cron --cron-restart "0 0 * * * *" -- /bin/sleep 4343 >/dev/null || return 1
  within 20 restarts_are 0 || return 1
  vx date -s "2030-01-01 11:30:00" >/dev/null        # forward over 11:00
  within 20 restarts_are 1 || { echo "forward over one slot"; return 1; }
  vx date -s "2030-01-01 10:59:57" >/dev/null        # back before 11:00, which has run
  vx sh -c 'until [ "$(date +%H%M%S)" -ge 110003 ]; do sleep 0.5; done'
  restarts_are 1 || { echo "back over a slot already run"; return 1; }
  vx date -s "2030-01-01 13:30:00" >/dev/null        # forward over 12:00 and 13:00
  within 20 restarts_are 2 || { echo "forward over two slots"; return 1; }
  # A second run for the other slot would come right after the first: give it the time.
  vx sleep 3; restarts_are 2 || { echo "forward over two slots ran twice"; return 1; }
  vx pmctl delete vm-cron >/dev/null
}
check "wall clock jumps: a cron slot jumped over runs once, one already run is not run again" clock_jumps

# ---------------------------------------------------------------- stop and start
no_app_left() {
  vx sh -c '! pgrep -f "[s]leep 4242|[t]ick" >/dev/null' || { vx ps -eo pid,cgroup,args; return 1; }
}
stop_pmd() {
  vx systemctl stop pmd || { echo "systemctl stop pmd failed"; vx systemctl status pmd --no-pager; return 1; }
  within 30 no_app_left
}
start_pmd() { vx systemctl start pmd && within 60 two_apps_up; }
check "systemctl stop pmd leaves no process of any app" stop_pmd
check "systemctl start pmd brings the /etc/pmd.d apps back" start_pmd

t_end=$SECONDS
figure "VM stage: $((t_end - t_start)) s in all (.deb $((t_deb - t_start)) s, boot $((t_boot - t_deb)) s, checks $((t_end - t_boot)) s)"
sed 's/^/figure: /' "$FIG"; rm -f "$FIG"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
