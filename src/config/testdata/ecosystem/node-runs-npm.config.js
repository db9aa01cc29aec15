// node as the interpreter of a command found on PATH (PM2 resolves it with which), in cluster mode.
module.exports = {
  apps: [{ name: "cms", interpreter: "node", script: "npm", args: "start", instances: 2, exec_mode: "cluster" }],
};
