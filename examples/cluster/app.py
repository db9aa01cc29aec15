#!/usr/bin/env python3
"""A pmd cluster worker in Python (stdlib only), for either way pmd shares a port.

With `listen` (LISTEN_FDS=1), pmd binds the socket once and passes it as fd 3; the worker
says READY=1 on NOTIFY_SOCKET once it serves (start it with --wait-ready):

    pmctl start -n pyweb -i 4 --listen tcp:127.0.0.1:8080 --wait-ready -- python3 examples/cluster/app.py

Without it, the worker binds HOST:PORT itself as any server does; under exec_mode = "cluster"
pmd hands every instance the one socket the first one bound, and an instance is ready when it
listens:

    [[app]]
    name = "pyweb"
    command = ["python3", "examples/cluster/app.py"]
    instances = 4
    exec_mode = "cluster"
    env = {PORT = "8080"}

Either way every instance accepts from the same socket, and on SIGTERM or SIGINT (PM2's stop
signal) it drains: it stops accepting, finishes the request in hand and exits 0, while queued
connections stay in the shared socket for the other instances. Each answer names the instance
and its pid.
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
    inherited = os.environ.get("LISTEN_PID") == str(os.getpid()) and os.environ.get("LISTEN_FDS") == "1"
    if inherited:
        server = InheritedServer()
    elif "PORT" in os.environ:
        server = HTTPServer((os.environ.get("HOST", "0.0.0.0"), int(os.environ["PORT"])), Handler)
    else:
        raise SystemExit("expected a socket from pmd (--listen tcp:HOST:PORT) or PORT to bind")

    def drain(*_):
        server.draining = True
        server.socket.close()

    signal.signal(signal.SIGTERM, drain)
    signal.signal(signal.SIGINT, drain)
    if inherited:
        notify("READY=1\nSTATUS=serving")
    while not getattr(server, "draining", False):
        try:
            server.handle_request()
        except OSError:
            break
    notify("STOPPING=1")


if __name__ == "__main__":
    main()
