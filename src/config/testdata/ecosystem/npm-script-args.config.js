// npm as the script with its arguments apart, logs under ~/.pm2, a subdirectory as cwd.
module.exports = {
  apps: [
    {
      name: "collector",
      cwd: "collector",
      script: "npm",
      args: "run start",
      instances: 1,
      autorestart: true,
      watch: false,
      max_memory_restart: "1G",
      env: { NODE_ENV: "development", PORT: 3400 },
      error_file: "~/.pm2/logs/collector-error.log",
      out_file: "~/.pm2/logs/collector-out.log",
      log_date_format: "YYYY-MM-DD HH:mm:ss",
      merge_logs: true,
    },
  ],
};
