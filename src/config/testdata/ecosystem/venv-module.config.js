// A virtualenv's python running a module: python -m app.agent.
module.exports = {
  apps: [{ name: "agent", script: "app.agent", interpreter: "venv/bin/python", interpreter_args: "-m" }],
};
