#!/usr/bin/env python3
"""A small cluster worker for pmd's integration tests (stdlib only).

It serves HTTP on the socket pmd passes (LISTEN_FDS, fd 3) or binds PORT itself, answers each
request with its pid, speaks sd_notify through NOTIFY_SOCKET, and drains on SIGTERM: it stops
accepting, finishes the request in hand and exits 0. Behaviour for tests, by environment:
  REPORT=path        write what the socket-activation protocol gave it, then go on
  GATE=path          send READY=1 only once this file exists
  CRASH_IF=path      exit 3 at start if this file exists (a bad deploy)
  CRASH_INSTANCE=n   exit 3 at start if PMD_INSTANCE is n (a deploy bad on one slot only)
  WATCHDOG_PINGS=n   send WATCHDOG=1 n times, then hang (a hung worker)
  STATUS=text        send STATUS=text after READY=1
"""
import os
import select
import signal
import socket
import sys
import time

stopping = False


def notify(message):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), path)


def on_term(signum, frame):
    global stopping
    stopping = True


def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.02)


def main():
    signal.signal(signal.SIGTERM, on_term)
    crash = os.environ.get("CRASH_IF")
    if crash and os.path.exists(crash):
        sys.exit(3)
    if os.environ.get("CRASH_INSTANCE", "-") == os.environ.get("PMD_INSTANCE"):
        sys.exit(3)
    fds = int(os.environ.get("LISTEN_FDS", "0"))
    if fds:
        listener = socket.socket(fileno=3)
    else:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", int(os.environ["PORT"])))
        listener.listen(128)
    report = os.environ.get("REPORT")
    if report:
        name = listener.getsockname()
        with open(report + ".tmp", "w") as f:
            f.write(f"pid={os.getpid()}\n")
            f.write(f"LISTEN_PID={os.environ.get('LISTEN_PID')}\n")
            f.write(f"LISTEN_FDS={os.environ.get('LISTEN_FDS')}\n")
            f.write(f"LISTEN_FDNAMES={os.environ.get('LISTEN_FDNAMES')}\n")
            f.write(f"fd3={name[1] if isinstance(name, tuple) else name}\n")
            for fd in range(3, 3 + fds):
                s = socket.socket(fileno=os.dup(fd))
                f.write(f"fd{fd}.listening={s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)}\n")
                s.close()
        os.rename(report + ".tmp", report)
    gate = os.environ.get("GATE")
    if gate:
        wait_for(gate)
    notify("READY=1")
    if os.environ.get("STATUS"):
        notify("STATUS=" + os.environ["STATUS"])
    pings = os.environ.get("WATCHDOG_PINGS")
    if pings is not None:
        for _ in range(int(pings)):
            notify("WATCHDOG=1")
            time.sleep(0.1)
        while True:  # hung: no more pings, no serving
            time.sleep(1)
    body = f"{os.getpid()}\n".encode()
    while not stopping:
        readable, _, _ = select.select([listener], [], [], 0.1)
        if not readable:
            continue
        try:
            listener.setblocking(False)
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            continue  # another instance took it
        conn.setblocking(True)
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    notify("STOPPING=1")


if __name__ == "__main__":
    main()
