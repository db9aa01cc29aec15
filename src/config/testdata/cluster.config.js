// A typical PM2 cluster app: one instance per CPU sharing port 3000, with a production profile.
module.exports = {
  apps: [
    {
      name: "api",
      script: "./dist/server.js",
      exec_mode: "cluster",
      instances: "max",
      max_memory_restart: "300M",
      kill_timeout: 5000,
      wait_ready: true,
      listen_timeout: 10000,
      node_args: "--max-old-space-size=256",
      env: { NODE_ENV: "development", PORT: 3000 },
      env_production: { NODE_ENV: "production", PORT: 80 },
      time: true,
    },
  ],
  deploy: {
    production: { user: "node", host: "212.83.163.1", ref: "origin/master", repo: "git@github.com:repo.git", path: "/var/www/production" },
  },
};
