// ES module syntax, a relative cwd and numbers in env.
export default {
  apps: [
    {
      name: "booking-api",
      script: "server.js",
      cwd: "srv",
      watch: false,
      env: { NODE_ENV: "development", PORT: 3200 },
    },
  ],
};
