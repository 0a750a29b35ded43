"""A local spawner for hubprobe's tests that fails in chosen, realistic ways.

The fault is picked by the user name's prefix ("fail-ann") or by user_options {"fault": "..."}:

  fail          start() raises, as a spawner does when the image cannot be pulled
  stall         start() never finishes (until the hub stops the spawn)
  slow          start() waits `delay` seconds first (user_options "delay", or the control
                file delay-<user>, read at every spawn so tests can change it at runtime)
  brokenimage   the single-user server's sqlite3 is broken: the server dies at start (incident 1)
  brokenimport  only kernels get the broken sqlite3: `import sqlite3` raises ImportError
  deadkernel    the default kernelspec exits at once, so every kernel dies on start (incident 4)

Only for tests: it inherits SimpleLocalProcessSpawner's lack of isolation.
"""
import asyncio
import json
import os
import sys

from jupyterhub.spawner import SimpleLocalProcessSpawner

FAULTS = ("fail", "stall", "slow", "brokenimage", "brokenimport", "deadkernel")
HERE = os.path.dirname(os.path.abspath(__file__))


def write_kernelspecs(run_dir):
    """Kernelspec trees for the kernel faults; written at hub start so they name this Python."""
    specs = {
        "jupyter-deadkernel": {
            "argv": [sys.executable, "-c",
                     "import sys; print('simulated kernel crash at start', file=sys.stderr); sys.exit(1)"],
            "display_name": "Python 3 (dies on start)",
            "language": "python",
        },
        "jupyter-brokenimport": {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (broken sqlite3)",
            "language": "python",
            "env": {"PYTHONPATH": os.path.join(HERE, "broken-sqlite")},
        },
    }
    for tree, spec in specs.items():
        d = os.path.join(run_dir, tree, "kernels", "python3")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "kernel.json"), "w") as f:
            json.dump(spec, f)


class FaultySpawner(SimpleLocalProcessSpawner):
    _stop_requested = None

    def _fault(self):
        chosen = (self.user_options or {}).get("fault")
        if chosen:
            return chosen
        prefix = self.user.name.split("-", 1)[0]
        return prefix if prefix in FAULTS else None

    def _control(self, key, default):
        path = os.path.join(os.environ["HUBPROBE_TEST_CONTROL_DIR"], key)
        try:
            with open(path) as f:
                return f.read().strip()
        except FileNotFoundError:
            return default

    def get_env(self):
        env = super().get_env()
        fault = self._fault()
        run_dir = os.environ["HUBPROBE_TEST_RUN_DIR"]
        if fault == "brokenimage":
            env["PYTHONPATH"] = os.path.join(HERE, "broken-sqlite")
        elif fault == "brokenimport":
            env["JUPYTER_PATH"] = os.path.join(run_dir, "jupyter-brokenimport")
        elif fault == "deadkernel":
            env["JUPYTER_PATH"] = os.path.join(run_dir, "jupyter-deadkernel")
        return env

    async def _wait(self, seconds):
        """Sleeps, but ends early (raising) if the hub stops the spawn meanwhile."""
        self._stop_requested = asyncio.Event()
        try:
            await asyncio.wait_for(self._stop_requested.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise RuntimeError("spawn cancelled by a stop request")

    async def start(self):
        fault = self._fault()
        if fault == "fail":
            raise RuntimeError(self._control(
                "fail-message", 'simulated spawner failure: Back-off pulling image "hubprobe/broken:latest"'))
        if fault == "stall":
            await self._wait(24 * 3600)
        delay = float((self.user_options or {}).get("delay", self._control("delay-" + self.user.name, "0")))
        if delay > 0:
            await self._wait(delay)
        return await super().start()

    async def stop(self, now=False):
        if self._stop_requested is not None:
            self._stop_requested.set()
        return await super().stop(now=now)
