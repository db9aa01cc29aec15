// A Nuxt/Nitro build: an .mjs entry, cluster mode, one instance per CPU.
module.exports = {
  apps: [{ name: "admin", exec_mode: "cluster", instances: "max", script: "./.output/server/index.mjs", args: "start" }],
};
