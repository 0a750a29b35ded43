#!/usr/bin/env bash
# Installs the test hub's pinned environment (JupyterHub, Jupyter Server, ipykernel from
# requirements.lock; configurable-http-proxy from package-lock.json) into a cache folder keyed
# by the lock files, and prints that folder. Safe to run concurrently and repeatedly.
#
# install.sh LOCK (a file under src/test/hub/locks/, e.g. jupyterhub-4.1.lock) installs only that
# lock's Python set into a venv of its own, keyed by the lock file, and prints the venv's folder: the
# compatibility matrix's other hub releases and single-user environments (see RealHub.Spec), and
# jhub-client.lock the Python peer that -Pbench-footprint measures `check` against.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HUBPROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hubprobe}
python=${HUBPROBE_PYTHON:-python3}
command -v "$python" >/dev/null || { echo "install.sh: $python not found (set HUBPROBE_PYTHON)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm not found (apt-get install nodejs npm)" >&2; exit 1; }
if [[ $# -gt 0 ]]; then
  lock="$here/locks/$1"
  [[ -f "$lock" ]] || { echo "install.sh: no lock file $lock" >&2; exit 1; }
  key=$( (cat "$lock"; "$python" --version) | sha256sum | cut -c1-16)
  dest="$cache/venv-${1%.lock}-$key"
  mkdir -p "$cache"
  exec 9>"$cache/.install-${1%.lock}.lock"
  flock 9
  if [[ ! -f "$dest/.complete" ]]; then
    rm -rf "$dest"
    { "$python" -m venv "$dest" && "$dest/bin/pip" install --quiet --no-deps -r "$lock"; } >&2
    # what the venv is for must import (a hub; a single-user server with the jupyterhub-singleuser that
    # wraps it and a kernel), and --no-deps must have left no requirement out of the lock
    case "$1" in
      singleuser-notebook6*) modules="notebook, jupyterhub.singleuser, ipykernel" ;;
      singleuser-*) modules="jupyter_server, jupyterhub.singleuser, ipykernel" ;;
      jhub-client*) modules="jhub_client" ;;
      *) modules="jupyterhub" ;;
    esac
    "$dest/bin/python" -c "import $modules" >&2
    "$dest/bin/pip" check >&2
    touch "$dest/.complete"
  fi
  echo "$dest"
  exit 0
fi
key=$( (cat "$here/requirements.lock" "$here/package-lock.json"; "$python" --version; node --version) | sha256sum | cut -c1-16)
dest="$cache/test-hub-$key"
mkdir -p "$cache"
exec 9>"$cache/.install.lock"
flock 9
if [[ ! -f "$dest/.complete" ]]; then
  rm -rf "$dest"
  mkdir -p "$dest"
  {
    "$python" -m venv "$dest/venv"
    # --no-deps: the lock is the whole resolved set; nothing outside it may sneak in.
    "$dest/venv/bin/pip" install --quiet --no-deps -r "$here/requirements.lock"
    "$dest/venv/bin/python" -c "import jupyterhub, jupyter_server, ipykernel, jupyterlab, notebook, jupyter_server_proxy, dask_gateway, dask_gateway_server"
    "$dest/venv/bin/pip" check
    cp "$here/package.json" "$here/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
  } >&2
  touch "$dest/.complete"
fi
echo "$dest"
