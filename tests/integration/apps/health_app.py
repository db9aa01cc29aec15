#!/usr/bin/env python3
# A health-checked app for tests: an HTTP server on 127.0.0.1:$PORT that answers 500 while a
# file named "unhealthy" exists in its cwd and 200 otherwise. Each request is appended to
# requests.log (one line with the pid) so a test can see who was asked.
import http.server
import os
import socketserver


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 500 if os.path.exists("unhealthy") else 200
        body = str(os.getpid()).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.TCPServer):
    allow_reuse_address = True


with Server(("127.0.0.1", int(os.environ["PORT"])), Handler) as server:
    server.serve_forever()
