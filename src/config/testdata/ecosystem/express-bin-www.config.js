// Express's generator layout: an extensionless ./bin/www, node options, a shell-string second app.
module.exports = {
  apps: [
    { name: "express", script: "./bin/www", node_args: "--max-old-space-size=128", env: { PORT: 3800 } },
    { name: "static", script: "node static.js", disable_logs: true },
  ],
};
