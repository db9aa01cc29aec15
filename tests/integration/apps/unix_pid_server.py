#!/usr/bin/env python3
"""An ordinary unix-socket server (nothing pmd-specific): binds SOCKET_PATH itself and writes
its pid to each connection."""
import os
import socketserver


class Pid(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(f"{os.getpid()}\n".encode())


socketserver.UnixStreamServer(os.environ["SOCKET_PATH"], Pid).serve_forever()
