// An ordinary Node server (nothing pmd-specific): listens on PORT itself, answers each request
// with its pid, and closes gracefully on SIGTERM as production servers do.
const server = require('http').createServer((req, res) => res.end(process.pid + '\n'));
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
