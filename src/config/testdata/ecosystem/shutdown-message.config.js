// Graceful stop by message (shutdown_with_message) and a shell script app.
module.exports = {
  apps: [
    { name: "graceful", script: "graceful.js", shutdown_with_message: true, kill_timeout: 8000 },
    { name: "healthcheck", script: "connection_check.sh" },
  ],
};
