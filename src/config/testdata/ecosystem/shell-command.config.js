// A Next.js-style front end started through npm as one shell string, with a port and watch.
module.exports = {
  apps: [
    {
      name: "storefront",
      port: 3100,
      script: "npm run start",
      args: "start",
      cwd: "./",
      watch: true,
      env: { NODE_ENV: "development" },
      env_production: { NODE_ENV: "production" },
    },
  ],
};
