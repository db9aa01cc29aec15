// The name comes from an unset environment variable, so PM2 names the app after its script.
module.exports = {
  apps: [{ script: "build/src/index.js", name: process.env.PMD_TEST_UNSET_NAME, watch: false }],
};
