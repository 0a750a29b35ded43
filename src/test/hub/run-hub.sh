#!/usr/bin/env bash
# Runs the test/demo hub in the foreground: run-hub.sh RUN_DIR PORT
# The caller sets HUBPROBE_TEST_SERVICE_TOKEN and HUBPROBE_TEST_PASSWORD; everything else is
# chosen here (internal ports, paths). Used by the Java harness (RealHub) and by bin/demo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir=$(mkdir -p "$1" && cd "$1" && pwd)
port=$2
: "${HUBPROBE_TEST_SERVICE_TOKEN:?set HUBPROBE_TEST_SERVICE_TOKEN}" "${HUBPROBE_TEST_PASSWORD:?set HUBPROBE_TEST_PASSWORD}"
env_dir=$("$here/install.sh")
# The compatibility matrix: another hub release's venv (HUBPROBE_TEST_HUB_LOCK) and a single-user
# environment of its own (HUBPROBE_TEST_SINGLEUSER_LOCK); the proxy is always the default install's.
hub_venv=$env_dir/venv
if [[ -n "${HUBPROBE_TEST_HUB_LOCK:-}" ]]; then
  hub_venv=$("$here/install.sh" "$HUBPROBE_TEST_HUB_LOCK")
fi
if [[ -n "${HUBPROBE_TEST_SINGLEUSER_LOCK:-}" ]]; then
  export HUBPROBE_TEST_SINGLEUSER_VENV=$("$here/install.sh" "$HUBPROBE_TEST_SINGLEUSER_LOCK")
fi
# Both internal ports at once, with both sockets held open, and never the public port: picked one at
# a time, the kernel may hand out the same free port twice (the hub then fails to bind).
# (command substitution, not <(...): bash must reap the child before it execs the hub)
ports=$("$hub_venv/bin/python" - "$port" <<'PY'
import socket, sys
held, ports = [], []
while len(ports) < 2:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    p = s.getsockname()[1]
    if p != int(sys.argv[1]):
        ports.append(p)
print(*ports)
PY
)
read -r hub_port api_port <<<"$ports"
export HUBPROBE_TEST_PORT=$port
export HUBPROBE_TEST_HUB_PORT=$hub_port
export HUBPROBE_TEST_API_PORT=$api_port
export HUBPROBE_TEST_RUN_DIR=$run_dir
export HUBPROBE_TEST_CONTROL_DIR=$run_dir/control
export HUBPROBE_TEST_CHP=$env_dir/node_modules/.bin/configurable-http-proxy
export PATH=$hub_venv/bin:$PATH
mkdir -p "$HUBPROBE_TEST_CONTROL_DIR"
cd "$run_dir"
exec jupyterhub -f "$here/jupyterhub_config.py"
