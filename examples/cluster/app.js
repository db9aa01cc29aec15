// A pmd cluster worker in Node.js (no dependencies).
//
// pmd binds the listening socket once and passes it as fd 3 (LISTEN_FDS=1); Node listens on
// it with listen({fd: 3}), so every instance shares it and a rolling reload refuses no
// connection. Node cannot send on a unix datagram socket, so READY=1 goes through
// systemd-notify: pmd recognises the sender by its cgroup, and a worker's child speaks for it.
// On SIGTERM the worker stops accepting, lets in-flight requests finish and exits 0.
//
//   pmctl start -n nodeweb -i 4 --listen tcp:127.0.0.1:8081 --wait-ready -- node examples/cluster/app.js
//   pmctl reload nodeweb
'use strict';
const http = require('http');
const { execFile } = require('child_process');

if (process.env.LISTEN_FDS !== '1') {
  console.error('expected one socket from pmd (start with --listen tcp:HOST:PORT)');
  process.exit(1);
}

const server = http.createServer((req, res) => {
  res.setHeader('Connection', 'close');
  res.end(`hello from instance ${process.env.PMD_INSTANCE} (pid ${process.pid})\n`);
});

server.listen({ fd: 3 }, () => {
  if (process.env.NOTIFY_SOCKET) execFile('systemd-notify', ['--ready', '--status=serving'], () => {});
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
});
