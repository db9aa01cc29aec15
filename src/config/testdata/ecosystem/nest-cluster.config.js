// A NestJS build in cluster mode with a production profile.
module.exports = {
  apps: [
    {
      name: "auth-api",
      script: "dist/src/main.js",
      instances: "max",
      exec_mode: "cluster",
      autorestart: true,
      watch: false,
      max_memory_restart: "500M",
      env: { NODE_ENV: "development" },
      env_production: { NODE_ENV: "production" },
    },
  ],
};
