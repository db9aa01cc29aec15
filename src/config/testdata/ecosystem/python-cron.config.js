// `interpreter: "python"` where only python3 exists, restarted daily by cron; no name first.
module.exports = {
  apps: [{ script: "maintenance.py", interpreter: "python", cron_restart: "0 7 * * *", name: "maintenance-iot" }],
};
