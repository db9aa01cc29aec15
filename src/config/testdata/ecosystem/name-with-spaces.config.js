// A descriptive name with spaces, instances as a string, fork mode.
module.exports = {
  apps: [
    {
      name: "WhatsApp Gateway in Background",
      script: "./index.js",
      instances: "1",
      exec_mode: "fork",
      env: { NODE_ENV: "production", PORT: 3300 },
    },
  ],
};
