#!/usr/bin/env python3
"""pmd vs PM2 vs supervisord: every scenario of the figures in docs/benchmarks.md in one run (Python 3 stdlib only).

Run through bench/run, which installs the peers and builds pmd. Each manager gets its own temp
dir (a private D-Bus + state/log dirs for pmd, PM2_HOME for PM2, a config + unix socket for
supervisord); everything started is stopped by pid at the end.

What is measured, and how (see docs/benchmarks.md for the long form):
  * "running" = a direct child of the manager's daemon whose /proc/PID/cmdline is exactly the
    worker's argv (`sleep <marker>`), i.e. the replacement has exec'd, not merely forked.
    Children are read from /proc/DAEMON/task/*/children, cmdlines once per new pid.
  * spawn N: from launching the CLI (`pmctl start`, `pm2 start`, `supervisorctl start`) until N
    such processes exist.
  * crash-to-replacement: SIGKILL to one worker, then a tight poll loop (no sleep) on the
    daemon's children until a new child has exec'd the worker argv. Also recorded: when the
    victim died (its pidfd became readable) and when the new pid first appeared (forked).
  * RSS: VmRSS of the daemon (/proc/PID/status); PM2: the God daemon (PM2_HOME/pm2.pid).
  * idle CPU: utime+stime delta of the daemon over 30 s (/proc/PID/stat, clock ticks) and the
    precise sum_exec_runtime delta over all its threads (/proc/PID/task/*/schedstat, ns).
  * ls: hyperfine -N (no shell) when installed, else own repetitions with a monotonic clock.
  * stop-all: from launching the CLI until it returned AND no worker is left in /proc.
"""

import argparse
import json
import os
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
SLEEP = shutil.which("sleep") or "/usr/bin/sleep"


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def now():
    return time.monotonic()


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


# ---------------------------------------------------------------------------------------------
# /proc helpers


class Kids:
    """Direct children of a daemon that run a given argv, read from /proc (cheap to poll)."""

    def __init__(self, daemon_pid):
        self.pid = daemon_pid
        self.tasks = []
        self.refresh_tasks()
        self.argv_of = {}  # pid -> cmdline bytes once it is no longer the daemon's own

    def refresh_tasks(self):
        try:
            self.tasks = [f"/proc/{self.pid}/task/{t}/children" for t in os.listdir(f"/proc/{self.pid}/task")]
        except FileNotFoundError:
            self.tasks = []

    def pids(self):
        out = set()
        for t in self.tasks:
            s = read(t)
            if s:
                out.update(int(x) for x in s.split())
        return out

    def matching(self, argv, pids=None):
        """The children whose cmdline is exactly argv (bytes, NUL-separated)."""
        pids = self.pids() if pids is None else pids
        got = []
        for p in pids:
            c = self.argv_of.get(p)
            if c is None:
                c = read(f"/proc/{p}/cmdline", "rb")
                if c is None:
                    continue
                if c == argv:  # cache only final (post-exec) cmdlines
                    self.argv_of[p] = c
            if c == argv:
                got.append(p)
        # forget pids that are gone so pid reuse cannot fool us
        for p in list(self.argv_of):
            if p not in pids:
                del self.argv_of[p]
        return got


def cgroup2_mount():
    for line in (read("/proc/self/mounts") or "").splitlines():
        f = line.split()
        if len(f) > 2 and f[2] == "cgroup2":
            return f[1]
    return "/sys/fs/cgroup"


def vmrss_kib(pid, field="VmRSS"):
    """VmRSS (or RssAnon: the private part, without mapped libraries) in KiB."""
    for line in (read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def cpu_ticks(pid):
    s = read(f"/proc/{pid}/stat")
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)


def cpu_ns(pid):
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        s = read(f"/proc/{pid}/task/{t}/schedstat")
        if s:
            total += int(s.split()[0])
    return total


def argv_bytes(argv):
    return b"".join(a.encode() + b"\0" for a in argv)


def wait_until(pred, timeout, poll=0.0005):
    end = now() + timeout
    while now() < end:
        if pred():
            return True
        time.sleep(poll)
    return pred()


# ---------------------------------------------------------------------------------------------
# managers


class Manager:
    name = "?"
    available = True

    def __init__(self, tmp, token):
        self.dir = os.path.join(tmp, self.name.lower())
        os.makedirs(self.dir, exist_ok=True)
        self.token = token
        self.env = dict(os.environ)
        self.daemon_pid = None
        self.procs = []  # Popen objects we own

    def worker(self, n):
        # a distinct argv per manager and app size, so counts cannot mix
        return [SLEEP, f"{self.token}{self.idx}{n:04d}"]

    def run(self, argv, check=True, quiet=True):
        r = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE if quiet else None,
                           stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
        return r

    def kids(self):
        return Kids(self.daemon_pid)

    def terminate(self, grace):
        """SIGTERM the processes we started, SIGKILL after `grace` seconds."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Pmd(Manager):
    name = "pmd"
    idx = 1

    def __init__(self, tmp, token, pmd, pmctl):
        super().__init__(tmp, token)
        self.pmd, self.pmctl = pmd, pmctl
        self.bus = os.path.join(self.dir, "bus")
        self.addr = f"unix:path={self.bus}"
        self.bus_pid = None
        self.state = os.path.join(self.dir, "state")
        self.extra_args = []  # more pmd options (bench/scale: --config)

    def ctl(self, *a):
        return [self.pmctl, "--bus", self.addr, *a]

    def start_daemon(self):
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(f'<busconfig><type>session</type><listen>{self.addr}</listen><auth>EXTERNAL</auth>'
                    '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
                    '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>')
        out = subprocess.run(["dbus-daemon", f"--config-file={conf}", "--fork", "--print-pid"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        self.bus_pid = int(out.split()[0])
        errf = open(os.path.join(self.dir, "pmd.stderr"), "w")
        p = subprocess.Popen([self.pmd, "--bus", self.addr, "--state-dir", self.state,
                              "--log-dir", os.path.join(self.dir, "log"), *self.extra_args], stderr=errf, stdout=errf,
                             env=self.env)
        self.procs.append(p)
        self.daemon_pid = p.pid
        if not wait_until(lambda: self.run(self.ctl("ping"), check=False).returncode == 0, 10, 0.02):
            raise RuntimeError("pmd did not answer ping within 10 s; see " + errf.name)
        # pmd's own cgroup subtree (it sits in <root>/supervisor): removed at the end
        self.cgroot = None
        for line in (read(f"/proc/{self.daemon_pid}/cgroup") or "").splitlines():
            if line.startswith("0::") and line.rstrip().endswith("/supervisor"):
                self.cgroot = cgroup2_mount() + os.path.dirname(line[3:].rstrip())

    def start_cmd(self, n, app=None):
        return self.ctl("start", "-n", app or f"w{n}", "-i", str(n), "--", *self.worker(n))

    def stop_all_cmd(self):
        return self.ctl("stop", "all")

    def delete_all(self):
        self.run(self.ctl("delete", "all"), check=False)

    def ls_cmd(self):
        return self.ctl("ls")

    def ls_json_cmd(self):
        return self.ctl("ls", "--json")

    def stop_daemon(self):
        if self.daemon_pid and os.path.exists(f"/proc/{self.daemon_pid}"):
            self.run(self.ctl("delete", "all"), check=False)
        self.terminate(5)
        # anything left in our own cgroup subtree (pmd names it after the state dir) is ours
        root = getattr(self, "cgroot", None)
        if root and os.path.isdir(root):
            dirs = []
            for d, _, _ in os.walk(root):
                dirs.append(d)
                for pid in (read(os.path.join(d, "cgroup.procs")) or "").split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            # a reaped task leaves its cgroup asynchronously: retry for a while
            for _ in range(50):
                for d in sorted(dirs, key=len, reverse=True):
                    try:
                        os.rmdir(d)
                    except FileNotFoundError:
                        pass
                    except OSError:
                        continue
                if not os.path.isdir(root):
                    break
                time.sleep(0.1)
        if self.bus_pid:
            try:
                os.kill(self.bus_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


class Pm2(Manager):
    name = "PM2"
    idx = 2

    def __init__(self, tmp, token):
        super().__init__(tmp, token)
        self.available = shutil.which("pm2") is not None
        self.env["PM2_HOME"] = os.path.join(self.dir, "home")
        self.pm2 = shutil.which("pm2") or "pm2"

    def start_daemon(self):
        self.run([self.pm2, "ping"])
        self.daemon_pid = int(read(os.path.join(self.env["PM2_HOME"], "pm2.pid")).strip())

    def eco(self, n, app=None):
        path = os.path.join(self.dir, f"eco-{app or n}.json")
        w = self.worker(n)
        with open(path, "w") as f:
            json.dump({"apps": [{"name": app or f"w{n}", "script": w[0], "args": w[1:],
                                 "interpreter": "none", "exec_mode": "fork", "instances": n}]}, f)
        return path

    def start_cmd(self, n, app=None):
        return [self.pm2, "start", self.eco(n, app)]

    def stop_all_cmd(self):
        return [self.pm2, "stop", "all"]

    def delete_all(self):
        self.run([self.pm2, "delete", "all"], check=False)

    def ls_cmd(self):
        return [self.pm2, "jlist"]

    def stop_daemon(self):
        if self.daemon_pid:
            self.run([self.pm2, "kill"], check=False)


class Supervisord(Manager):
    name = "supervisord"
    idx = 3

    def __init__(self, tmp, token):
        super().__init__(tmp, token)
        self.available = shutil.which("supervisord") is not None
        self.conf = os.path.join(self.dir, "supervisord.conf")
        self.sock = os.path.join(self.dir, "supervisor.sock")
        os.makedirs(os.path.join(self.dir, "log"), exist_ok=True)
        self.sizes = []

    def write_conf(self, sizes):
        self.sizes = sizes
        parts = [textwrap.dedent(f"""\
            [unix_http_server]
            file={self.sock}
            [supervisord]
            logfile={self.dir}/supervisord.log
            pidfile={self.dir}/supervisord.pid
            childlogdir={self.dir}/log
            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
            [supervisorctl]
            serverurl=unix://{self.sock}
            """)]
        for n in sizes:
            parts.append(textwrap.dedent(f"""\
                [program:w{n}]
                command={' '.join(self.worker(n))}
                numprocs={n}
                process_name=%(program_name)s_%(process_num)04d
                autostart=false
                autorestart=true
                startsecs=0
                """))
        with open(self.conf, "w") as f:
            f.write("\n".join(parts))

    def ctl(self, *a):
        return ["supervisorctl", "-c", self.conf, *a]

    def start_daemon(self):
        self.write_conf([10, 100])
        p = subprocess.Popen(["supervisord", "-n", "-c", self.conf], env=self.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        self.daemon_pid = p.pid
        if not wait_until(lambda: self.run(self.ctl("pid"), check=False).returncode == 0, 10, 0.05):
            raise RuntimeError("supervisord did not answer within 10 s")

    def start_cmd(self, n, app=None):
        return self.ctl("start", f"w{n}:*")

    def stop_all_cmd(self):
        return self.ctl("stop", "all")

    def delete_all(self):
        self.run(self.ctl("stop", "all"), check=False)

    def ls_cmd(self):
        return self.ctl("status")

    def stop_daemon(self):
        self.terminate(30)  # supervisord stops its children on SIGTERM


# ---------------------------------------------------------------------------------------------
# scenarios


def timed_spawn(m, n, timeout=60.0, app=None):
    """Seconds from launching the start CLI until n workers have exec'd (checked in /proc)."""
    kids = m.kids()
    want = argv_bytes(m.worker(n))
    t0 = now()
    p = subprocess.Popen(m.start_cmd(n, app), env=m.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_all = None
    while now() - t0 < timeout:
        if len(kids.matching(want)) >= n:
            t_all = now() - t0
            break
        if p.poll() is not None and p.returncode != 0:
            raise RuntimeError(f"{m.name} start failed: {p.stderr.read().decode()[-400:]}")
        time.sleep(0.0002)
    p.wait()
    if t_all is None:
        raise RuntimeError(f"{m.name}: {n} workers not running after {timeout} s")
    return t_all


def timed_stop_all(m, n, timeout=120.0):
    kids = m.kids()
    want = argv_bytes(m.worker(n))
    t0 = now()
    p = subprocess.Popen(m.stop_all_cmd(), env=m.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gone = None
    while now() - t0 < timeout:
        if gone is None and not kids.matching(want):
            gone = now() - t0
        if gone is not None and p.poll() is not None:
            break
        time.sleep(0.0002)
    p.wait()
    t_cli = now() - t0
    if gone is None:
        raise RuntimeError(f"{m.name}: workers still there {timeout} s after stop all")
    return max(gone, t_cli), gone


def wait_gone(m, n, timeout=60):
    kids = m.kids()
    want = argv_bytes(m.worker(n))
    if not wait_until(lambda: not kids.matching(want), timeout, 0.01):
        raise RuntimeError(f"{m.name}: workers of w{n} still running")


def crash_once(m, kids, want, victim, timeout=10.0):
    """kill -9 victim; returns (died, forked, exec'd) seconds after the kill, by tight polling."""
    before = kids.pids()
    try:
        pfd = os.pidfd_open(victim)
    except OSError:
        pfd = None
    poller = select.poll()
    if pfd is not None:
        poller.register(pfd, select.POLLIN)
    t_dead = t_fork = None
    t0 = time.perf_counter()
    os.kill(victim, signal.SIGKILL)
    try:
        while True:
            t = time.perf_counter()
            if t - t0 > timeout:
                raise RuntimeError(f"{m.name}: no replacement {timeout} s after kill -9 {victim}")
            if t_dead is None and pfd is not None and poller.poll(0):
                t_dead = t
            new = kids.pids() - before
            if new:
                if t_fork is None:
                    t_fork = t
                if kids.matching(want, new):
                    t_exec = time.perf_counter()
                    return ((t_dead or t_exec) - t0, t_fork - t0, t_exec - t0)
    finally:
        if pfd is not None:
            os.close(pfd)


def crash_series(m, n, kills):
    kids = m.kids()
    want = argv_bytes(m.worker(n))
    victims = sorted(kids.matching(want))
    random.shuffle(victims)
    out = []
    # every victim is a distinct, long-running original instance (uptime > min_uptime, so no
    # manager counts these restarts as unstable or backs off)
    for v in victims[:kills]:
        out.append(crash_once(m, kids, want, v))
        time.sleep(0.05)
    # measure the poll loop's own resolution
    t0 = time.perf_counter()
    for _ in range(200):
        kids.pids()
    res = (time.perf_counter() - t0) / 200
    return out, res


def ls_latency(m, argv, runs):
    """List-command wall time in seconds: hyperfine -N if there, else our own repetitions."""
    if shutil.which("hyperfine"):
        js = os.path.join(m.dir, "hyperfine.json")
        subprocess.run(["hyperfine", "-N", "-i", "--warmup", "3", "--runs", str(runs), "--style", "none",
                        "--export-json", js, " ".join(argv)], env=m.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(js) as f:
            return json.load(f)["results"][0]["times"]
    times = []
    for i in range(runs + 3):
        t0 = now()
        subprocess.run(argv, env=m.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 3:
            times.append(now() - t0)
    return times


NODE_APP = r"""
const http = require('http');
let closing = false;
const server = http.createServer((req, res) => {
  if (closing) res.setHeader('Connection', 'close');
  res.end('ok\n');
});
if (process.env.LISTEN_FDS) server.listen({ fd: 3 });
else server.listen(+process.env.PORT || 8080, '127.0.0.1');
// A draining shutdown: stop accepting, and let every keep-alive connection end with its next
// answer (Connection: close). Node >= 19's server.close() would also close idle keep-alive
// connections at once, racing a client that is sending its next request on one: wrk counts
// that as a read error, whichever manager reloads. So close() must leave idle ones alone.
function bye() {
  if (closing) return;
  closing = true;
  server.closeIdleConnections = () => {};
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1500).unref();
}
process.on('SIGINT', bye);
process.on('SIGTERM', bye);
process.on('message', (m) => { if (m === 'shutdown') bye(); });
"""


def parse_wrk(out):
    res = {"requests": 0, "errors": 0, "detail": ""}
    for line in out.splitlines():
        line = line.strip()
        if " requests in " in line:
            res["requests"] = int(line.split()[0])
        elif line.startswith("Socket errors:"):
            nums = [int(x.strip(",")) for x in line.split() if x.strip(",").isdigit()]
            res["errors"] += sum(nums)
            res["detail"] += line + "; "
        elif line.startswith("Non-2xx or 3xx responses:"):
            res["errors"] += int(line.split(":")[1])
            res["detail"] += line + "; "
    return res


def reload_under_load(m, reload_argv, port, duration=10, at=3):
    """wrk -c50 against the app; reload at `at` s; returns wrk's requests and errors."""
    wrk = subprocess.Popen(["wrk", "-t2", "-c50", f"-d{duration}s", f"http://127.0.0.1:{port}/"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(at)
    t0 = now()
    r = m.run(reload_argv, check=False)
    t_reload = now() - t0
    out, _ = wrk.communicate(timeout=duration + 30)
    res = parse_wrk(out)
    res["reload_s"] = t_reload
    res["reload_rc"] = r.returncode
    if r.returncode != 0:
        res["detail"] += f"reload failed: {r.stderr.strip()[-200:]}"
    return res


def wait_http(port, timeout=15):
    import socket

    def ok():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return b"ok" in s.recv(200)
        except OSError:
            return False
    return wait_until(ok, timeout, 0.1)


# ---------------------------------------------------------------------------------------------
# statistics and report


def med(xs):
    return statistics.median(xs) if xs else None


def p95(xs):
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def summary(xs):
    return {"median": med(xs), "min": min(xs) if xs else None, "max": max(xs) if xs else None,
            "p95": p95(xs), "n": len(xs), "values": xs}


def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "s":
        if v < 0.001:
            return f"{v * 1e6:.0f} µs"
        if v < 0.9995:
            return f"{v * 1e3:.3g} ms"
        return f"{v:.3g} s"
    if unit == "KiB":
        return f"{v / 1024:.3g} MiB"
    if unit == "cpu":
        return "0 s" if v == 0 else f"{v:.3g} s"
    return f"{v:g}"


def pm2_version():
    try:
        pkg = os.path.join(os.path.dirname(os.path.realpath(shutil.which("pm2"))), "..", "package.json")
        with open(pkg) as f:
            return json.load(f)["version"]
    except (OSError, TypeError, KeyError, ValueError):
        return "?"


def machine_info():
    mem = next((l.split()[1] for l in (read("/proc/meminfo") or "").splitlines() if l.startswith("MemTotal")), "?")
    cpu = next((l.split(":", 1)[1].strip() for l in (read("/proc/cpuinfo") or "").splitlines()
                if l.startswith("model name")), "?")
    cg2 = cgroup2_mount()
    ctrls = (read(os.path.join(cg2, "cgroup.controllers")) or "").strip()

    def ver(argv):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=20).stdout.strip().splitlines()[-1]
        except Exception:
            return "?"
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "loadavg_start": (read("/proc/loadavg") or "?").split()[0],
        "cgroup": f"cgroup2 at {cg2} (controllers: {ctrls or 'none'}), v1 hierarchies beside it"
        if cg2.endswith("unified") else f"cgroup2 at {cg2} (controllers: {ctrls or 'none'})",
        # not `pm2 --version`: that starts a God daemon in ~/.pm2
        "node": ver(["node", "--version"]), "pm2": pm2_version(),
        "supervisord": ver(["supervisord", "--version"]), "python": sys.version.split()[0],
        # bench/run says which commit it built; else the repo's HEAD
        "pmd_commit": os.environ.get("PMD_BENCH_COMMIT") or subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip(),
    }


# rows: key, label, unit, target (for pmd, same unit; None = none), lower is better
# The daemon's own CPU time per operation (schedstat, ns) is the figure least moved by a busy
# machine: it does not count time spent waiting for a core.
ROWS = [
    ("spawn10", "spawn 10 (all running in /proc)", "s", None),
    ("spawn100", "spawn 100", "s", 0.150),
    ("crash", "crash→replacement exec'd, median", "s", 0.0015),
    ("crash_p95", "crash→replacement exec'd, p95", "s", None),
    ("crash_fork", "crash→new pid forked, median", "s", None),
    ("spawn100_cpu", "daemon CPU per spawned worker (of 100)", "s", None),
    ("crash_cpu", "daemon CPU per crash restart", "s", None),
    ("rss0", "daemon RSS, 0 workers", "KiB", None),
    ("rss100", "daemon RSS, 100 workers", "KiB", 5 * 1024),
    ("rss0_anon", "daemon RssAnon (private, no libraries), 0 workers", "KiB", None),
    ("rss100_anon", "daemon RssAnon, 100 workers", "KiB", None),
    ("idle_cpu", "daemon CPU, 30 s idle, 100 workers (schedstat)", "cpu", 0.010),
    ("idle_ticks", "daemon CPU, 30 s idle (utime+stime)", "cpu", None),
    ("ls100", "ls with 100 (pmctl ls / pm2 jlist / supervisorctl status)", "s", 0.004),
    ("ls100_cpu", "daemon CPU per ls with 100", "s", None),
    ("ls100_json", "pmctl ls --json with 100", "s", None),
    ("ping", "pmctl ping (floor of any pmctl call)", "s", None),
    ("stop100", "stop all, 100 (CLI returned and all gone)", "s", 0.100),
    ("stop100_gone", "stop all, 100: last worker gone from /proc", "s", None),
    ("stop100_cpu", "daemon CPU per stop all of 100", "s", None),
    ("reload_errors", "reload under wrk -c50 (errors)", "n", 0),
]


def cell(r, unit):
    if r is None:
        return "–"
    if isinstance(r, str):
        return " ".join(r.split()).replace("|", "/")
    if r.get("n", 1) > 1:
        return f"{fmt(r['median'], unit)} ({fmt(r['min'], unit)}–{fmt(r['max'], unit)})"
    return fmt(r["median"], unit)


def ratio(a, b):
    if not isinstance(a, dict) or not isinstance(b, dict) or a.get("median") is None or not b.get("median"):
        return "–"
    x = a["median"] / b["median"]
    if x == 0:
        return "0×"
    return f"{x:.3f}×" if x < 0.1 else f"{x:.2f}×"


def report(results, names):
    lines = []
    hdr = ["scenario"] + names + [f"pmd / {n}" for n in names[1:]] + ["pmd target", "met?"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for key, label, unit, target in ROWS:
        row = [label]
        for n in names:
            row.append(cell(results.get(n, {}).get(key), unit))
        pm = results.get("pmd", {}).get(key)
        for n in names[1:]:
            row.append(ratio(pm, results.get(n, {}).get(key)))
        if target is None:
            row += ["", ""]
        else:
            row.append(("≤ " + fmt(target, unit)) if key != "reload_errors" else "0")
            if isinstance(pm, dict) and pm.get("median") is not None:
                row.append("yes" if pm["median"] <= target else "**no**")
            else:
                row.append("n/a")
        lines.append("| " + " | ".join(row) + " |")
    scale = results.get("pmd", {}).get("scale")
    if scale:
        lines.append("")
        lines.append("pmd alone at scale, 1,000 instances in 200 apps:")
        lines.append("")
        lines.append("| scenario | pmd |")
        lines.append("|---|---|")
        lines.append(f"| spawn 1,000 (one `pmctl start FILE.toml`) | {cell(scale['spawn'], 's')} |")
        lines.append(f"| daemon RSS | {cell(scale['rss'], 'KiB')} |")
        lines.append(f"| `pmctl ls` | {cell(scale['ls'], 's')} |")
        lines.append(f"| `pmctl ls --json` | {cell(scale['ls_json'], 's')} |")
        lines.append(f"| stop all | {cell(scale['stop'], 's')} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# plots (gnuplot, if installed)


def plots(results, names, outdir):
    if not shutil.which("gnuplot"):
        log("gnuplot not installed: no plots")
        return
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="pmd-bench-plot-")
    # 1) crash-to-replacement latency, every kill, per manager (log scale)
    files = []
    for n in names:
        c = results.get(n, {}).get("crash")
        if isinstance(c, dict):
            p = os.path.join(tmp, f"crash-{n}.dat")
            with open(p, "w") as f:
                for i, v in enumerate(sorted(c["values"])):
                    f.write(f"{(i + 0.5) / len(c['values']) * 100:.1f} {v * 1e3:.4f}\n")
            files.append((n, p))
    if files:
        plot = ", ".join(f"'{p}' using 1:2 with linespoints title '{n}'" for n, p in files)
        gp = f"""set terminal pngcairo size 800,450 font ',10'
set output '{outdir}/bench-crash.png'
set title 'kill -9 → replacement running (every kill, sorted)'
set xlabel 'percentile of kills'
set ylabel 'latency (ms, log scale)'
set logscale y
set grid
set key top left
plot {plot}
"""
        subprocess.run(["gnuplot"], input=gp, text=True, check=False)
    # 2) the headline metrics, pmd vs peers, as bars on a log scale
    metrics = [("spawn100", "spawn 100\\n(ms)", 1e3), ("crash", "crash→repl.\\n(ms)", 1e3),
               ("rss100", "RSS, 100\\n(MiB)", 1 / 1024), ("ls100", "ls, 100\\n(ms)", 1e3),
               ("stop100", "stop all 100\\n(ms)", 1e3), ("idle_cpu", "idle CPU\\n(ms / 30 s)", 1e3)]
    p = os.path.join(tmp, "bars.dat")
    with open(p, "w") as f:
        for key, label, scale in metrics:
            vals = []
            for n in names:
                r = results.get(n, {}).get(key)
                vals.append(f"{max(r['median'] * scale, 0.011):.4f}" if isinstance(r, dict) and r.get("median") is not None else "NaN")
            f.write(f"\"{label}\" " + " ".join(vals) + "\n")
    cols = " , ".join(f"'' using {i + 2}:xtic(1) title '{n}'" for i, n in enumerate(names))
    cols = cols.replace("''", f"'{p}'", 1)
    gp = f"""set terminal pngcairo size 900,450 font ',10'
set output '{outdir}/bench-overview.png'
set title 'pmd vs PM2 vs supervisord (median; lower is better; log scale)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.01:*]
set bmargin 4
set label 1 'bars at the floor (0.01) mean 0' at graph 0.01, graph 0.97 font ',8'
set grid ytics
set key top right
plot {cols}
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=False)
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pmd", required=True)
    ap.add_argument("--pmctl", required=True)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    ap.add_argument("--rounds", type=int, default=5, help="repetitions of spawn/stop (default 5)")
    ap.add_argument("--kills", type=int, default=30, help="kills per manager (default 30, ≥ 20)")
    ap.add_argument("--idle", type=float, default=30.0, help="idle CPU window, s (default 30)")
    ap.add_argument("--only", default="pmd,PM2,supervisord", help="managers, comma separated")
    ap.add_argument("--skip", default="", help="scenarios to skip: spawn,crash,idle,ls,reload,scale")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--markdown", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--plots", default=os.path.join(REPO, "docs"), help="where PNGs go ('' = none)")
    ap.add_argument("--no-install", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.kills, args.idle = 2, 20, 10.0
    skip = set(s for s in args.skip.split(",") if s)
    if os.geteuid() != 0:
        sys.exit("bench: needs root (cgroup2 under /sys/fs/cgroup, like pmd itself)")

    tmp = tempfile.mkdtemp(prefix="pmd-bench-")
    token = str(random.randint(71, 79)) + "".join(random.choice("0123456789") for _ in range(3))
    wanted = args.only.split(",")
    allm = [Pmd(tmp, token, args.pmd, args.pmctl), Pm2(tmp, token), Supervisord(tmp, token)]
    ms = [m for m in allm if m.name in wanted]
    for m in ms:
        if not m.available:
            log(f"{m.name} not installed: skipped")
    ms = [m for m in ms if m.available]
    names = [m.name for m in ms]
    results = {n: {} for n in names}
    info = machine_info()
    log("machine:", json.dumps(info))
    started = []

    def cleanup(*_):
        for m in reversed(started):
            try:
                m.stop_daemon()
            except Exception as e:  # keep cleaning the others
                log(f"cleanup {m.name}: {e}")
        started.clear()
        shutil.rmtree(tmp, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(143)))
    try:
        for m in ms:
            log(f"starting {m.name}")
            m.start_daemon()
            started.append(m)
        time.sleep(1.0)
        for m in ms:
            results[m.name]["rss0"] = summary([vmrss_kib(m.daemon_pid)])
            results[m.name]["rss0_anon"] = summary([vmrss_kib(m.daemon_pid, "RssAnon")])

        if "spawn" not in skip:
            for n in (10, 100):
                key = f"spawn{n}"
                for r in range(args.rounds):
                    for m in ms:
                        c0 = cpu_ns(m.daemon_pid)
                        t = timed_spawn(m, n)
                        results[m.name].setdefault(key, []).append(t)
                        time.sleep(1.2 if n == 100 else 0.3)
                        results[m.name].setdefault(f"{key}_cpu", []).append((cpu_ns(m.daemon_pid) - c0) / 1e9 / n)
                        if n == 100:
                            c0 = cpu_ns(m.daemon_pid)
                            t_stop, gone = timed_stop_all(m, n)
                            results[m.name].setdefault("stop100", []).append(t_stop)
                            results[m.name].setdefault("stop100_gone", []).append(gone)
                            results[m.name].setdefault("stop100_cpu", []).append((cpu_ns(m.daemon_pid) - c0) / 1e9)
                        m.delete_all()
                        wait_gone(m, n)
                        log(f"{m.name} {key} round {r + 1}: {t * 1e3:.1f} ms"
                            + (f", stop {results[m.name]['stop100'][-1] * 1e3:.1f} ms" if n == 100 else ""))
                for m in ms:
                    results[m.name][key] = summary(results[m.name][key])
                    results[m.name][f"{key}_cpu"] = summary(results[m.name][f"{key}_cpu"])
            for m in ms:
                results[m.name]["stop100"] = summary(results[m.name]["stop100"])
                results[m.name]["stop100_cpu"] = summary(results[m.name]["stop100_cpu"])
                results[m.name]["stop100_gone"] = summary(results[m.name]["stop100_gone"])

        # 100 workers each, for the steady-state scenarios
        for m in ms:
            timed_spawn(m, 100)
        time.sleep(3.0)
        for m in ms:
            results[m.name]["rss100"] = summary([vmrss_kib(m.daemon_pid)])
            results[m.name]["rss100_anon"] = summary([vmrss_kib(m.daemon_pid, "RssAnon")])

        if "idle" not in skip:
            log(f"idle CPU over {args.idle:g} s, all managers at once, 100 workers each")
            t0 = {m.name: (cpu_ticks(m.daemon_pid), cpu_ns(m.daemon_pid)) for m in ms}
            time.sleep(args.idle)
            for m in ms:
                ticks = cpu_ticks(m.daemon_pid) - t0[m.name][0]
                ns = cpu_ns(m.daemon_pid) - t0[m.name][1]
                scale = 30.0 / args.idle
                results[m.name]["idle_cpu"] = summary([ns / 1e9 * scale])
                results[m.name]["idle_ticks"] = summary([ticks / CLK_TCK * scale])

        if "ls" not in skip:
            for m in ms:
                runs = 15 if m.name == "PM2" else 40
                c0 = cpu_ns(m.daemon_pid)
                results[m.name]["ls100"] = summary(ls_latency(m, m.ls_cmd(), runs))
                results[m.name]["ls100_cpu"] = summary([(cpu_ns(m.daemon_pid) - c0) / 1e9 / (runs + 3)])
                log(f"{m.name} ls: {results[m.name]['ls100']['median'] * 1e3:.2f} ms")
            if "pmd" in names:
                m = ms[names.index("pmd")]
                results["pmd"]["ls100_json"] = summary(ls_latency(m, m.ls_json_cmd(), 40))
                # the floor under any pmctl command: process start + one bus round trip
                results["pmd"]["ping"] = summary(ls_latency(m, m.ctl("ping"), 40))

        if "crash" not in skip:
            for m in ms:
                c0 = cpu_ns(m.daemon_pid)
                out, res = crash_series(m, 100, args.kills)
                results[m.name]["crash_cpu"] = summary([(cpu_ns(m.daemon_pid) - c0) / 1e9 / len(out)])
                results[m.name]["crash"] = summary([x[2] for x in out])
                results[m.name]["crash_p95"] = {"median": p95([x[2] for x in out]), "n": 1}
                results[m.name]["crash_fork"] = summary([x[1] for x in out])
                results[m.name]["crash_dead"] = summary([x[0] for x in out])
                results[m.name]["crash_poll_resolution_s"] = res
                log(f"{m.name} crash: median {results[m.name]['crash']['median'] * 1e3:.3f} ms, "
                    f"p95 {results[m.name]['crash_p95']['median'] * 1e3:.3f} ms (poll {res * 1e6:.0f} µs)")

        for m in ms:
            m.delete_all()
            wait_gone(m, 100)

        if "reload" not in skip:
            reload_scenario(ms, names, results, tmp)

        if "scale" not in skip and "pmd" in names:
            scale_scenario(ms[names.index("pmd")], results, args)
    finally:
        cleanup()

    info["loadavg_end"] = (read("/proc/loadavg") or "?").split()[0]
    results["machine"] = info
    results["when"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    table = report(results, names)
    print()
    print(f"pmd benchmark, {results['when']}, pmd {info['pmd_commit']}; "
          f"{info['nproc']} cores, {info['mem_gib']} GiB, kernel {info['kernel']}; "
          f"load average {info['loadavg_start']} at start, {info['loadavg_end']} at end")
    print("median (min–max); ratio = pmd's median / peer's median (lower is better for pmd)")
    print()
    print(table)
    for n in names:
        d = results[n].get("crash_poll_resolution_s")
        if d:
            print(f"\n{n}: crash poll loop resolution {d * 1e6:.0f} µs per iteration", end="")
    print()
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
        log(f"results in {args.json} and {args.markdown}")
    if args.plots:
        plots(results, names, args.plots)


def reload_scenario(ms, names, results, tmp):
    if not shutil.which("wrk") or not shutil.which("node"):
        for n in names:
            results[n]["reload_errors"] = "wrk/node missing"
        return
    app = os.path.join(tmp, "app.js")
    with open(app, "w") as f:
        f.write(NODE_APP)
    port0 = 18000 + random.randint(0, 999)
    for m in ms:
        port = port0 + m.idx
        if m.name == "PM2":
            m.env["PORT"] = str(port)
            m.run([m.pm2, "start", app, "-i", "4", "--name", "web"])
            del m.env["PORT"]
            reload_argv = [m.pm2, "reload", "web"]
        elif m.name == "pmd":
            # CLI11 answers `pmctl reload --help` with the main help (exit 0) while there is no
            # such subcommand: look for the subcommand's own usage line
            h = m.run(m.ctl("reload", "--help"), check=False)
            if h.returncode != 0 or "pmctl reload" not in h.stdout + h.stderr:
                results[m.name]["reload_errors"] = "not available yet (no `pmctl reload`)"
                log("pmd reload: not available yet (`pmctl reload --help` fails)")
                continue
            # an app file, so this does not depend on how pmctl spells --listen
            web = os.path.join(m.dir, "web.toml")
            with open(web, "w") as f:
                f.write(f'[[app]]\nname = "web"\ncommand = {json.dumps([shutil.which("node"), app])}\n'
                        f'instances = 4\nlisten = ["tcp:127.0.0.1:{port}"]\n')
            r = m.run(m.ctl("start", web), check=False)
            if r.returncode != 0:
                results[m.name]["reload_errors"] = f"start with listen failed: {r.stderr.strip()[-120:]}"
                log("pmd reload:", results[m.name]["reload_errors"])
                continue
            reload_argv = m.ctl("reload", "web")
        else:
            results[m.name]["reload_errors"] = "n/a (no rolling reload)"
            continue
        if not wait_http(port):
            results[m.name]["reload_errors"] = "app did not answer"
            continue
        runs = [reload_under_load(m, reload_argv, port) for _ in range(2)]
        results[m.name]["reload_errors"] = summary([r["errors"] for r in runs])
        results[m.name]["reload_detail"] = runs
        log(f"{m.name} reload: {[(r['requests'], r['errors'], r['detail']) for r in runs]}")
        m.run(m.ctl("delete", "web") if m.name == "pmd" else [m.pm2, "delete", "web"], check=False)


def scale_scenario(m, results, args):
    napps, per = 200, 5
    path = os.path.join(m.dir, "scale.toml")
    w = m.worker(per)
    with open(path, "w") as f:
        for a in range(napps):
            f.write(f'[[app]]\nname = "s{a:03d}"\ncommand = {json.dumps(w)}\ninstances = {per}\n\n')
    n = napps * per
    kids = m.kids()
    want = argv_bytes(w)
    spawn, rss, ls, lsj, stop = [], [], [], [], []
    for r in range(2 if args.quick else 3):
        t0 = now()
        p = subprocess.run(m.ctl("start", path), env=m.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise RuntimeError("pmctl start scale.toml: " + p.stderr[-300:])
        if not wait_until(lambda: len(kids.matching(want)) >= n, 120, 0.001):
            raise RuntimeError("pmd: 1000 instances not running after 120 s")
        spawn.append(now() - t0)
        time.sleep(2.0)
        rss.append(vmrss_kib(m.daemon_pid))
        if r == 0:
            ls = ls_latency(m, m.ls_cmd(), 20)
            lsj = ls_latency(m, m.ls_json_cmd(), 20)
        t0 = now()
        subprocess.run(m.stop_all_cmd(), env=m.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: not kids.matching(want), 120, 0.001)
        stop.append(now() - t0)
        m.delete_all()
        log(f"pmd scale round {r + 1}: spawn {spawn[-1]:.3f} s, RSS {rss[-1]} KiB, stop {stop[-1]:.3f} s")
    results["pmd"]["scale"] = {"spawn": summary(spawn), "rss": summary(rss), "ls": summary(ls),
                               "ls_json": summary(lsj), "stop": summary(stop)}


if __name__ == "__main__":
    main()
