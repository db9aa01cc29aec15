// cwd from __dirname, empty node_args, stdout to a relative file and stderr discarded.
module.exports = {
  apps: [
    {
      name: "run-manager",
      cwd: __dirname,
      script: "./index.js",
      env: { PORT: 3500 },
      max_memory_restart: "200M",
      node_args: [],
      exec_mode: "fork",
      out_file: "run-manager.log",
      error_file: "/dev/null",
    },
  ],
};
