#!/usr/bin/env python3
"""A pmd cluster worker in Python (stdlib only).

pmd binds the listening socket once and passes it as fd 3 (LISTEN_FDS=1), so every instance
accepts from the same socket and a rolling reload never refuses a connection. The worker says
READY=1 on NOTIFY_SOCKET once it serves (start pmd with --wait-ready) and drains on SIGTERM:
it stops accepting, finishes the request in hand and exits 0; queued connections stay in the
shared socket for the other instances.

    pmctl start -n pyweb -i 4 --listen tcp:127.0.0.1:8080 --wait-ready -- python3 examples/cluster/app.py
    pmctl reload pyweb
"""
import os
import signal
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


def notify(message):
    path = os.environ.get("NOTIFY_SOCKET")
    if path:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(message.encode(), "\0" + path[1:] if path.startswith("@") else path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = f"hello from instance {os.environ.get('PMD_INSTANCE')} (pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class InheritedServer(HTTPServer):
    def __init__(self):
        # Take the socket pmd passed instead of binding one.
        super().__init__(("", 0), Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = socket.socket(fileno=3)


def main():
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        raise SystemExit("expected one socket from pmd (start with --listen tcp:HOST:PORT)")
    server = InheritedServer()
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "draining", True) or server.socket.close())
    notify("READY=1\nSTATUS=serving")
    while not getattr(server, "draining", False):
        try:
            server.handle_request()
        except OSError:
            break
    notify("STOPPING=1")


if __name__ == "__main__":
    main()
