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
figures=()

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
  vx env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download /root/pmd.deb >/dev/null || return 1
  if [[ -n $pmd_bin ]]; then
    vx systemctl stop pmd; vm_cp "$pmd_bin" /usr/sbin/pmd || return 1
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
  figures+=("$1 of pmd -> pmd answering again: $ms ms (in the VM, TCG)")
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

# ---------------------------------------------------------------- stop and start
no_app_left() {
  vx sh -c '! pgrep -f "sleep 4242|tick" >/dev/null' || { vx ps -eo pid,cgroup,args; return 1; }
}
stop_pmd() { vx systemctl stop pmd && within 30 no_app_left; }
start_pmd() { vx systemctl start pmd && within 60 two_apps_up; }
check "systemctl stop pmd leaves no process of any app" stop_pmd
check "systemctl start pmd brings the /etc/pmd.d apps back" start_pmd

t_end=$SECONDS
figures+=("VM stage: $((t_end - t_start)) s in all (.deb $((t_deb - t_start)) s, boot $((t_boot - t_deb)) s, checks $((t_end - t_boot)) s)")
printf 'figure: %s\n' "${figures[@]}"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
