#!/usr/bin/env bash
# pmd where it runs: a Debian 12 VM (qemu, its own kernel, systemd 252 as PID 1, pure cgroup2
# with cpuset cpu io memory hugetlb pids rdma misc). Installs the .deb with apt, then checks
# what no container on a hybrid-cgroup host can show: systemd brings a crashed pmd (kill -9,
# SIGSEGV) back into its unit although controllers are delegated, every app keeps its pids,
# limits and log pipe; the kernel enforces the limits (also on a non-root user's app);
# describe and /metrics show the limits and io.stat's bytes; two re-execs under HTTP load fail
# no request; restart brings back /etc/pmd.d and the dump; stop leaves nothing behind.
#
#   tests/system/cgroup2-vm.sh [--deb PATH] [--pmd BIN] [--pmctl BIN]
#
#   --deb PATH  test this .deb instead of tests/system/cached-deb.sh's
#   --pmd BIN   after installing, replace /usr/sbin/pmd with BIN and the unit with this tree's
#               units/pmd.service (trying a build without packaging it; not what CI does)
#   --pmctl BIN likewise /usr/bin/pmctl
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

deb="" pmd_bin="" pmctl_bin=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=$(realpath "$2"); shift ;;
    --pmd) pmd_bin=$(realpath "$2"); shift ;;
    --pmctl) pmctl_bin=$(realpath "$2"); shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
vm_cp_binary() {  # a build tree's binary without its debug info (tens of MB through ssh under TCG)
  local tmp; tmp=$(mktemp /tmp/cgroup2-vm-bin.XXXXXX)
  strip -o "$tmp" "$1" && vm_cp "$tmp" "$2"; local rc=$?; rm -f "$tmp"; return $rc
}
install_deb() {
  vx env DEBIAN_FRONTEND=noninteractive apt-get install -y /root/pmd.deb >/dev/null || return 1
  if [[ -n $pmd_bin ]]; then
    vx systemctl stop pmd; vm_cp_binary "$pmd_bin" /usr/sbin/pmd || return 1
    vx sh -c ': >/var/log/pmd/vm-counter-out.log'   # the counter starts again at tick 1
    # A pmd built for /usr/local looks for its metrics module there: the package's path, and
    # the module built beside BIN.
    local module=/usr/lib/x86_64-linux-gnu/pmd/pmd-metrics-httplib.so
    if [[ -f $(dirname "$pmd_bin")/../metrics/pmd-metrics-httplib.so ]]; then
      vm_cp_binary "$(dirname "$pmd_bin")/../metrics/pmd-metrics-httplib.so" "$module" || return 1
    fi
    vx mkdir -p /etc/systemd/system/pmd.service.d &&
      vx sh -c "printf '[Service]\nEnvironment=PMD_METRICS_MODULE=$module\n' >/etc/systemd/system/pmd.service.d/module.conf"
    vm_cp "$HERE/../../units/pmd.service" "$(vx systemctl show -P FragmentPath pmd)" && vx systemctl daemon-reload
  fi
  if [[ -n $pmctl_bin ]]; then vm_cp_binary "$pmctl_bin" /usr/bin/pmctl || return 1; fi
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
# The scope's holder is systemd's child, not pmd's: nothing in pmd reaps it.
holder_parent() {
  local ppid; ppid=$(vx sh -c 'ps -o ppid= -p "$(cat /sys/fs/cgroup/system.slice/pmd-apps.scope/holder/cgroup.procs)"' | tr -d ' ')
  [[ $ppid == 1 ]] || { echo "the holder's parent is '$ppid'"; return 1; }
}
check "pmd-apps.scope's holder is PID 1's child" holder_parent

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

# ---------------------------------------------------------------- describe: limits and io
# The counter's limits as describe prints them, and block-device bytes from io.stat: an app
# that reads 8 MiB of the disk and writes 4 MiB with O_DIRECT (the page cache would hide them
# from the block layer), then waits.
limits_described() {
  local out; out=$(vx pmctl describe vm-counter) || return 1
  grep -qx "Limits: memory_max 96M, cpu_max 50% of a CPU, pids_max 32" <<<"$out" || { echo "$out"; return 1; }
  vx pmctl describe --json vm-counter | tr -d ' \n' | grep -q '"memory_max":"96M"' || { vx pmctl describe --json vm-counter; return 1; }
}
check "pmctl describe shows the limits (text and --json)" limits_described
cat >/tmp/cgroup2-vm.$$.toml <<'EOF3'
[[app]]
name = "vm-io"
command = ["/bin/sh", "-c", "dd if=/dev/vda of=/dev/null bs=1M count=8 iflag=direct && dd if=/dev/zero of=/var/tmp/vm-io bs=1M count=4 oflag=direct conv=fsync && exec sleep 4545"]
EOF3
vm_cp /tmp/cgroup2-vm.$$.toml /root/io.toml; rm -f /tmp/cgroup2-vm.$$.toml
io_json() { vx pmctl describe --json vm-io | tr -d ' \n' | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
io_counted() {
  local r w; r=$(io_json io_read_bytes); w=$(io_json io_write_bytes)
  [[ ${r:-0} -ge 8388608 && ${w:-0} -ge 4194304 ]] || { echo "io_read_bytes '$r', io_write_bytes '$w'"; return 1; }
  vx pmctl describe vm-io | grep -Eq "^    io: read [0-9.]+ ?[MG]i?B?, written [0-9.]+ ?[MG]i?B? \(io.stat\)" || { vx pmctl describe vm-io; return 1; }
  figure "vm-io: io.stat read $r B, written $w B (dd of 8 MiB and 4 MiB, O_DIRECT)"
}
check "pmctl start of an app doing direct io" vx pmctl start /root/io.toml
check "pmctl describe shows the io bytes of io.stat (text and --json)" within 60 io_counted

# ---------------------------------------------------------------- wall clock jumps
# cron_restart timers are absolute CLOCK_REALTIME ones. The promise: a slot that a forward jump
# passes over runs once (several passed at once: once in all); a slot already run does not
# run again when the clock goes back over it. Only a VM may set its clock.
cron_restarts() { vx pmctl ls --json | tr -d ' \n' | grep -o '"name":"vm-cron"[^]]*' | grep -o '"restarts":[0-9]*' | head -1 | cut -d: -f2; }
restarts_are() { local n; n=$(cron_restarts); [[ $n == "$1" ]] || { echo "vm-cron restarts: '$n', want $1"; return 1; }; }
next_cron_is() {  # the app's NextCronRestart (usec) is the slot at local time $1
  local want got; want=$(vx date -d "$1" +%s)
  got=$(vx pmctl describe --json vm-cron | tr -d ' \n' | grep -o '"NextCronRestart":[0-9]*' | cut -d: -f2)
  [[ ${got:-0} == "${want}000000" ]] || { echo "NextCronRestart '$got', want ${want}000000 ($1)"; return 1; }
}
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
  # A second run for the other slot would come before pmd arms the next one: once 14:00 is
  # the next slot, both passed slots are done with.
  within 20 next_cron_is "2030-01-01 14:00:00" || return 1
  restarts_are 2 || { echo "forward over two slots ran twice"; return 1; }
  vx pmctl delete vm-cron >/dev/null
}
check "wall clock jumps: a cron slot jumped over runs once, one already run is not run again" clock_jumps

# ---------------------------------------------------------------- re-exec under load
# An HTTP app on a listen socket (pmd binds it, the app gets fd 3 as LISTEN_FDS; perl, as
# perl-base is in every Debian) and a client loop of one connection per request while
# pmctl daemon-reexec runs twice: the connections made during the exec wait in the backlog.
cat >/tmp/cgroup2-vm.$$.toml <<'EOF4'
[[app]]
name = "vm-http"
listen = ["tcp:127.0.0.1:18080"]
command = ["/usr/bin/perl", "-e", "open(my $l, '+<&=', 3) or die $!; while (1) { accept(my $c, $l) or next; my $r = <$c>; print $c qq(HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n); close $c }"]
EOF4
vm_cp /tmp/cgroup2-vm.$$.toml /root/http.toml; rm -f /tmp/cgroup2-vm.$$.toml
cat >/tmp/cgroup2-vm.$$.pl <<'EOF5'
# One request per connection until /tmp/http-stop exists; prints "ok errors" to /tmp/http-count.
use IO::Socket::INET;
my ($ok, $err) = (0, 0);
until (-e "/tmp/http-stop") {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:18080", Timeout => 30);
    if (!$s) { $err++; next }
    print $s "GET / HTTP/1.0\r\n\r\n";
    my $line = <$s>;
    (defined $line && $line =~ m{^HTTP/1.0 200}) ? $ok++ : $err++;
    close $s;
    open(my $f, ">", "/tmp/http-count.new"); print $f "$ok $err\n"; close $f; rename "/tmp/http-count.new", "/tmp/http-count";
}
EOF5
vm_cp /tmp/cgroup2-vm.$$.pl /root/http-client.pl; rm -f /tmp/cgroup2-vm.$$.pl
http_answers() { vx perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new("127.0.0.1:18080") or exit 1; print $s "GET /\r\n\r\n"; exit((<$s> // "") =~ /200/ ? 0 : 1)'; }
reexec_under_load() {
  local pid_before pid_after counts
  within 60 http_answers || { vx pmctl describe vm-http; return 1; }
  pid_before=$(vx systemctl show -P MainPID pmd)
  vx sh -c 'rm -f /tmp/http-stop /tmp/http-count; setsid perl /root/http-client.pl </dev/null >/tmp/http-client.log 2>&1 &'
  within 30 vx sh -c '[ "$(cut -d" " -f1 /tmp/http-count 2>/dev/null)" -gt 0 ]' || return 1
  vx pmctl daemon-reexec && vx pmctl daemon-reexec || { echo "pmctl daemon-reexec failed"; return 1; }
  # Requests after the second exec: the client's count goes on past what it was then.
  counts=$(vx cat /tmp/http-count)
  within 30 vx sh -c "[ \$(cut -d' ' -f1 /tmp/http-count) -gt ${counts% *} ]" || return 1
  vx sh -c 'touch /tmp/http-stop; while pgrep -f "[h]ttp-client.pl" >/dev/null; do sleep 0.2; done'
  counts=$(vx cat /tmp/http-count); pid_after=$(vx systemctl show -P MainPID pmd)
  figure "HTTP requests across two pmctl daemon-reexec: ${counts% *} answered, ${counts#* } failed"
  [[ ${counts#* } == 0 ]] || { echo "requests answered/failed: $counts"; vx cat /tmp/http-client.log; return 1; }
  [[ $pid_before == "$pid_after" ]] || { echo "pmd's pid $pid_before -> $pid_after (a re-exec keeps it)"; return 1; }
}
check "pmctl start of an HTTP app on a listen socket" vx pmctl start /root/http.toml
check "two pmctl daemon-reexec under HTTP load: no request fails" reexec_under_load
vx pmctl delete vm-http >/dev/null 2>&1

# ---------------------------------------------------------------- a user's apps
# A non-root user starts an app as themself (no polkit rule or admin group needed): it runs as
# that user, its memory_max is enforced, the user may stop it but not an app of root.
# The hog waits for a gate file before it allocates: an OOM-killed hog lives a moment only, and
# its owner must be read while it is alive. Once the gate is open it crash-loops, as a hog does.
cat >/tmp/cgroup2-vm.$$.toml <<'EOF6'
[[app]]
name = "vm-user-hog"
command = ["/bin/sh", "-c", "while [ ! -e /tmp/vm-user-hog.go ]; do sleep 0.1; done; exec /bin/dd if=/dev/zero of=/dev/null bs=64M count=1000000000"]
memory_max = "32M"
EOF6
user_setup() {
  vx useradd -m vmuser || return 1
  vm_cp /tmp/cgroup2-vm.$$.toml /home/vmuser/hog.toml && vx chown vmuser: /home/vmuser/hog.toml
}
as_user() { vx runuser -u vmuser -- "$@"; }
user_app_runs_as_user() {
  local pid; pid=$(vx pmctl describe --json vm-user-hog | tr -d ' \n' | grep -o '"pid":[1-9][0-9]*' | head -1 | cut -d: -f2)
  [[ -n $pid && $(vx ps -o user= -p "$pid") == vmuser ]] || { echo "pid '$pid'"; vx pmctl ls; return 1; }
}
user_denied_root_app() {
  local out; out=$(as_user pmctl stop vm-sleeper 2>&1) && { echo "vmuser stopped vm-sleeper: $out"; return 1; }
  grep -q "may not stop .vm-sleeper." <<<"$out" || { echo "$out"; return 1; }
}
user_start() { user_setup && as_user pmctl start /home/vmuser/hog.toml; }
check "a non-root user starts an app file of their own" user_start
check "the user's app runs as the user" within 30 user_app_runs_as_user
vx touch /tmp/vm-user-hog.go
check "the user's memory_max: the kernel OOM-kills the user's hog" within 90 positive vm-user-hog memory.events oom_kill
check "the user may not stop root's app" user_denied_root_app
check "the user stops and deletes their own app" as_user pmctl delete vm-user-hog
rm -f /tmp/cgroup2-vm.$$.toml

# ---------------------------------------------------------------- systemctl restart
# The dump (pmctl save) and /etc/pmd.d come back after a restart, and /metrics (turned on in
# pmd.toml for it) has the io counters of the saved io app, which reads its 8 MiB again.
save_and_restart() {
  vx sh -c 'echo "metrics_listen = \"tcp:127.0.0.1:9615\"" >>/etc/pmd.toml' &&
  vx pmctl save >/dev/null && vx systemctl restart pmd || { vx systemctl status pmd --no-pager; return 1; }
  within 60 saved_apps_up
}
saved_apps_up() {
  for a in vm-counter vm-sleeper vm-io; do
    vx pmctl describe --json "$a" | tr -d ' \n' | grep -q '"pid":[1-9]' || { echo "$a is not running"; vx pmctl ls; return 1; }
  done
}
io_metrics() {
  local m; m=$(vx perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new("127.0.0.1:9615") or exit 1; print $s "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n"; print while <$s>') || return 1
  grep -q '^# TYPE pmd_instance_io_read_bytes_total counter' <<<"$m" &&
    awk '/^pmd_instance_io_read_bytes_total\{app="vm-io",instance="0"\}/ { ok = $2 >= 8388608 } END { exit !ok }' <<<"$m" &&
    awk '/^pmd_instance_io_write_bytes_total\{app="vm-io",instance="0"\}/ { ok = $2 >= 4194304 } END { exit !ok }' <<<"$m" ||
    { grep "pmd_instance_io\|vm-io" <<<"$m"; return 1; }
}
check "systemctl restart pmd brings back the /etc/pmd.d apps and the saved dump" save_and_restart
check "/metrics has the io bytes counters of io.stat" within 60 io_metrics

# ---------------------------------------------------------------- stop and start
no_app_left() {
  vx sh -c '! pgrep -f "[s]leep 4242|[s]leep 4545|[t]ick" >/dev/null' || { vx ps -eo pid,cgroup,args; return 1; }
}
stop_pmd() {
  vx systemctl stop pmd || { echo "systemctl stop pmd failed"; vx systemctl status pmd --no-pager; return 1; }
  within 30 no_app_left
}
start_pmd() { vx systemctl start pmd && within 60 saved_apps_up; }
check "systemctl stop pmd leaves no process of any app" stop_pmd
check "systemctl start pmd brings the /etc/pmd.d apps and the dump back" start_pmd

t_end=$SECONDS
figure "VM stage: $((t_end - t_start)) s in all (.deb $((t_deb - t_start)) s, boot $((t_boot - t_deb)) s, checks $((t_end - t_boot)) s)"
sed 's/^/figure: /' "$FIG"; rm -f "$FIG"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
