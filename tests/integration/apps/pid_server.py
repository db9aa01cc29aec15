#!/usr/bin/env python3
"""An ordinary http.server (nothing pmd-specific): binds PORT itself, answers with its pid."""
import http.server
import os


class Pid(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Pid).serve_forever()
