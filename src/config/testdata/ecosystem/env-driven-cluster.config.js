// Instances and memory limit from the environment with fallbacks, PM2's combine_logs alias.
module.exports = {
  apps: [
    {
      name: "courseware",
      script: "./index.js",
      exec_mode: "cluster",
      instances: process.env.PMD_TEST_UNSET_INSTANCES || "max",
      max_memory_restart: process.env.PMD_TEST_UNSET_MEMORY || "200M",
      combine_logs: true,
    },
  ],
};
