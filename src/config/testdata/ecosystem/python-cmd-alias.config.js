// PM2's `cmd` alias of script, a pid file, four instances, and a second app with python3.
module.exports = {
  apps: [
    {
      name: "echo-python",
      cmd: "hello.py",
      args: "arg1 arg2",
      autorestart: false,
      watch: false,
      pid: "./pids/echo.pid",
      instances: 4,
      max_memory_restart: "1G",
      env: { ENV: "development", PORT: 3700 },
      env_production: { ENV: "production", PORT: 3701 },
    },
    { name: "echo-python-3", cmd: "hello.py", interpreter: "python3" },
  ],
};
