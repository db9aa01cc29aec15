// ES module ecosystem file, computed values and options pmd has no counterpart for.
const base = { autorestart: true, max_restarts: 10, min_uptime: "10s", pmx: false };
export default {
  apps: [
    { ...base, name: "queue", script: "worker.py", args: ["--queue", "mail"], instances: 2, cron_restart: "0 3 * * *", log_file: "/var/log/queue.log" },
    { ...base, name: "report", script: "report.sh", interpreter: "none", watch: "src", ignore_watch: ["node_modules"], exp_backoff_restart_delay: 100, uid: "www-data", namespace: "batch" },
  ],
};
