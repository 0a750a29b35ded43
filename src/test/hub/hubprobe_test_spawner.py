"""A local spawner for hubprobe's tests that fails in chosen, realistic ways.

The fault is picked by the user name's prefix ("fail-ann") or by user_options {"fault": "..."}:

  fail          start() raises, as a spawner does when the image cannot be pulled
  stall         start() never finishes (until the hub stops the spawn)
  (any)         the control file fail-<user> makes the user's spawns fail until it is removed
  slow          start() waits `delay` seconds first (user_options "delay", or the control
                file delay-<user>, read at every spawn so tests can change it at runtime)
  brokenimage   the single-user server's sqlite3 is broken: the server dies at start (incident 1)
  brokenimport  only kernels get the broken sqlite3: `import sqlite3` raises ImportError
  deadkernel    the default kernelspec exits at once, so every kernel dies on start (incident 4)
  noorigin      an ingress-like server extension (ws-ingress/) refuses every websocket upgrade that
                carries Origin, as a browser's does; scripts' upgrades, without Origin, go through
  needorigin    the same extension lets a websocket upgrade through only with Origin matching Host
  cookieonly    as needorigin, and any request to the server carrying a token is refused (401)
  oauthcallback the same extension answers the server's oauth_callback with 500
  oauthcookie   the same extension strips the server's own session cookie from every request
  apps          jupyter-server-proxy serves the apps of apps/config: hello (works), broken (500),
                spa (renders in the browser; its /broken throws, its /stall never loads),
                crashed (exits at once: the proxy's 500) and hang (its /slow never answers)
  nolab         the server has no JupyterLab and so no Notebook 7, which needs it (both server
                extensions disabled, as in an image built without them): /lab and /tree answer 404
  brokenlab     JupyterLab loads a prebuilt labextension (broken-lab/) whose plugin fails to activate:
                the console says "Plugin 'hubprobe-broken-ui:plugin' failed to activate."
  env           the user's environment is what the control file env-<user>.json describes, built
                afresh at every spawn (see user_environment): an image name, Python
                distributions, conda records, a broken sqlite3, a kernel that is not Python
  k8s           emits KubeSpawner-shaped progress events (raw_event with reason, type and
                microsecond eventTime) around a real start, with delays from user_options:
                  scale_up  seconds from TriggeredScaleUp to Scheduled (0: a warm node fits)
                  pull      seconds from Pulling to Pulled (0: "already present on machine")
                  start     seconds from Pulled to the server's start
                  node_capacity  servers that fit on warm nodes; past it a spawn needs a new
                                 node (a scale-up of `scale_up` seconds, at least 1)
                  pull_fails_on_new_node  on a new node the pull fails (incident 5: the pull
                                 secret was dropped, only fresh nodes lacked the image)
                  unschedulable  no node fits and the autoscaler will not add one; the start
                                 times out after `start_timeout` seconds (default 3)
  rohome        the user's HOME is a read-only file system (a read-only tmpfs)
  fullhome      the user's HOME is a file system with no space left (a 1 MiB tmpfs, filled)
                Where no tmpfs can be mounted (CI as a non-root user), stand-ins: HOME made read-only
                by its mode, and a 1 MiB file-size limit (writes past it fail with EFBIG); a rohome spawn
                fails saying so where the hub runs as root without mounts (a mode does not stop root).
                The control file nomount-<user> picks the stand-ins where mounts work. The tmpfs
                stays for the user's later servers (tests look at what a run left on it) and is
                unmounted when the hub exits.

KubeSpawner-like profiles, chosen by user_options {"profile": "<slug>"} (see PROFILES): "gpu-small"
puts a stand-in `nvidia-smi` (fake-gpu/) on the server's PATH (there is no GPU here; it answers as
one A100 would), "gpu-broken" fails the spawn as a GPU node pool that never comes, "gpu-nomem" is a
GPU whose memory.total nvidia-smi reports as "[N/A]", "cpu" is plain.

The harness's Dask Gateway (DaskGateway.java) writes the control file dask-gateway.json while it
runs: every server started meanwhile gets its address (DASK_GATEWAY__*), as daskhub configures it.

Only for tests: it inherits SimpleLocalProcessSpawner's lack of isolation.
"""
import asyncio
import atexit
import datetime
import json
import os
import sys

from jupyterhub.spawner import SimpleLocalProcessSpawner

FAULTS = ("fail", "stall", "slow", "brokenimage", "brokenimport", "deadkernel", "k8s", "env",
          "noorigin", "needorigin", "cookieonly", "oauthcallback", "oauthcookie", "apps", "nolab", "brokenlab", "rohome", "fullhome")
# profile slug -> what the profile's servers get: a GPU (the stand-in nvidia-smi) or a fault
PROFILES = {"cpu": {}, "gpu-small": {"gpu": True}, "gpu-broken": {"gpu": True, "fault": "fail"},
            # a GPU whose driver reports no memory size (memory.total "[N/A]", as some MIG or unified-memory GPUs)
            "gpu-nomem": {"gpu": True, "memory": "[N/A]"}}
# faults played by the ws-ingress server extension, and its policy for each
WS_POLICIES = {"noorigin": "refuse_origin", "needorigin": "require_origin", "cookieonly": "cookie_only",
               "oauthcallback": "break_callback", "oauthcookie": "drop_session_cookie"}
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


def user_environment(user, run_dir, control_dir):
    """Builds the user environment env-<user>.json describes and returns the server's environment.

    The description, all keys optional:
      image      JUPYTER_IMAGE_SPEC, as KubeSpawner sets it from the profile's image
      dists      {name: version}: Python distributions (dist-info metadata only) on the kernel's path
      conda      [{name, version, build, channel}]: records in {sys.prefix}/conda-meta
      broken_sqlite  the kernel's `import sqlite3` raises ImportError (incident 1)
      hang       a record in conda-meta is a FIFO: reading it blocks, as on a stuck network mount
      kernel     "echo": the default kernel is a real kernel whose language is not Python

    The kernel runs a venv of this Python (so sys.prefix is the environment's own prefix) with the
    hub's packages, for ipykernel, after the environment's own on its path.
    """
    import shutil
    import subprocess
    import sysconfig

    with open(os.path.join(control_dir, f"env-{user}.json")) as f:
        spec = json.load(f)
    root = os.path.join(run_dir, "envs", user)
    prefix = os.path.join(root, "prefix")
    if not os.path.exists(os.path.join(prefix, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", prefix], check=True)
    meta = os.path.join(prefix, "conda-meta")
    site = os.path.join(root, "site")
    for d in (meta, site):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for rec in spec.get("conda", []):
        name = f"{rec['name']}-{rec['version']}-{rec['build']}.json"
        with open(os.path.join(meta, name), "w") as f:
            json.dump({"build": rec["build"], "channel": "https://conda.anaconda.org/" + rec.get("channel", "conda-forge"),
                       "files": [f"lib/{rec['name']}.so"], "name": rec["name"], "version": rec["version"]}, f,
                      sort_keys=True)
    if spec.get("hang"):
        os.mkfifo(os.path.join(meta, "zz-stuck-1.0-0.json"))
    for name, version in spec.get("dists", {}).items():
        info = os.path.join(site, f"{name.replace('-', '_')}-{version}.dist-info")
        os.makedirs(info)
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    path = [site] + ([os.path.join(HERE, "broken-sqlite")] if spec.get("broken_sqlite") else [])
    path.append(sysconfig.get_paths()["purelib"])
    if spec.get("kernel") == "echo":
        kernel = {"argv": [sys.executable, os.path.join(HERE, "echo_kernel.py"), "-f", "{connection_file}"],
                  "display_name": "Echo", "language": "echo"}
    else:
        kernel = {"argv": [os.path.join(prefix, "bin", "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                  "display_name": "Python 3 (user image)", "language": "python",
                  "env": {"PYTHONPATH": os.pathsep.join(path)}}
    kernels = os.path.join(root, "share", "jupyter", "kernels", "python3")
    os.makedirs(kernels, exist_ok=True)
    with open(os.path.join(kernels, "kernel.json"), "w") as f:
        json.dump(kernel, f)
    env = {"JUPYTER_PATH": os.path.join(root, "share", "jupyter")}
    if spec.get("image"):
        env["JUPYTER_IMAGE_SPEC"] = spec["image"]
    return env


def _unmount_homes():
    import subprocess

    for home in FaultySpawner._homes_mounted:
        subprocess.run(["umount", "-l", home], capture_output=True)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FaultySpawner(SimpleLocalProcessSpawner):
    _stop_requested = None
    _k8s_events = None
    _k8s_running = set()  # servers of k8s users running now, across all spawners: the "warm nodes"

    _homes_mounted = set()  # homes with the tmpfs of rohome/fullhome on them, unmounted when the hub exits

    def _profile(self):
        return PROFILES.get((self.user_options or {}).get("profile"), {})

    def _fault(self):
        chosen = (self.user_options or {}).get("fault") or self._profile().get("fault")
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
        elif fault == "env":
            env.update(user_environment(self.user.name, run_dir, os.environ["HUBPROBE_TEST_CONTROL_DIR"]))
        elif fault == "apps":
            # this spawn only: the proxy's server list on the config path (the extension is enabled anyway)
            env["JUPYTER_CONFIG_PATH"] = os.path.join(HERE, "apps", "config")
        elif fault == "nolab":
            env["JUPYTER_CONFIG_PATH"] = os.path.join(HERE, "no-lab", "config")
        elif fault == "brokenlab":
            env["JUPYTER_PATH"] = os.path.join(HERE, "broken-lab", "share", "jupyter")
        elif fault in WS_POLICIES:
            # this spawn only: the extension's module on the path, its enabling config on the config path
            ingress = os.path.join(HERE, "ws-ingress")
            env["PYTHONPATH"] = ingress
            env["JUPYTER_CONFIG_PATH"] = os.path.join(ingress, "config")
            env["HUBPROBE_TEST_WS_POLICY"] = WS_POLICIES[fault]
        elif fault in ("rohome", "fullhome"):
            # Jupyter's own runtime files stay writable: only the user's files are on the broken home
            state = os.path.join(run_dir, "jupyter-state", self.user.name)
            env["JUPYTER_RUNTIME_DIR"] = os.path.join(state, "runtime")
            env["JUPYTER_DATA_DIR"] = os.path.join(state, "data")
            env["IPYTHONDIR"] = os.path.join(state, "ipython")
        if self._profile().get("gpu"):
            env["PATH"] = os.path.join(HERE, "fake-gpu") + os.pathsep + env.get("PATH", os.environ["PATH"])
            if "memory" in self._profile():
                env["HUBPROBE_FAKE_GPU_MEMORY"] = self._profile()["memory"]
        gateway = self._control("dask-gateway.json", None)
        if gateway:
            g = json.loads(gateway)
            env["DASK_GATEWAY__ADDRESS"] = g["address"]
            env["DASK_GATEWAY__PROXY_ADDRESS"] = g["proxy_address"]
            env["DASK_GATEWAY__AUTH__TYPE"] = "jupyterhub"
        return env

    def _broken_home(self, fault):
        """Mounts the tmpfs of a rohome/fullhome user on its home, once; False where mounts are not allowed."""
        import subprocess

        home = self.home_dir
        os.makedirs(home, exist_ok=True)
        if os.path.ismount(home):
            return True
        if self._control("nomount-" + self.user.name, None) is not None:
            return False  # as where mounts are refused (CI as a non-root user): the stand-ins, tested here too
        size = "1m" if fault == "fullhome" else "64k"
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", home],
                          capture_output=True).returncode != 0:
            return False
        if not FaultySpawner._homes_mounted:
            atexit.register(_unmount_homes)
        FaultySpawner._homes_mounted.add(home)
        if fault == "fullhome":
            # fill it: what is left is not even one block
            with open(os.path.join(home, ".filler"), "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass
        else:
            subprocess.run(["mount", "-o", "remount,ro", home], check=True)
        return True

    def make_preexec_fn(self, name):
        fault = self._fault()
        inner = super().make_preexec_fn(name)
        if fault not in ("rohome", "fullhome") or getattr(self, "_home_mounted", False):
            return inner
        # the stand-ins where no tmpfs can be mounted (see the module's docstring)
        if fault == "rohome":
            os.makedirs(self.home_dir, exist_ok=True)
            os.chmod(self.home_dir, 0o555)
            return inner

        def preexec():
            import resource
            import signal

            inner()
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

        return preexec

    async def _wait(self, seconds):
        """Sleeps, but ends early (raising) if the hub stops the spawn meanwhile."""
        self._stop_requested = asyncio.Event()
        try:
            await asyncio.wait_for(self._stop_requested.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise RuntimeError("spawn cancelled by a stop request")

    def _event(self, reason, message, type_="Normal"):
        """Records one KubeSpawner-shaped progress event (see kubespawner's progress())."""
        ts = _now()
        raw = {"reason": reason, "message": message, "type": type_, "eventTime": ts,
               "firstTimestamp": ts[:19] + "Z", "lastTimestamp": ts[:19] + "Z"}
        progress = min(90, 10 + 10 * len(self._k8s_events))
        self._k8s_events.append({"progress": progress, "message": f"{ts} [{type_}] {message}", "raw_event": raw})

    async def progress(self):
        if self._fault() != "k8s":
            async for e in super().progress():
                yield e
            return
        sent = 0
        while True:
            events = self._k8s_events or []
            while sent < len(events):
                yield events[sent]
                sent += 1
            await asyncio.sleep(0.05)

    async def _k8s_start(self):
        opts = self.user_options or {}
        self._k8s_events = []
        pod = f"jupyter-{self.user.name}"
        capacity = int(opts.get("node_capacity", 1000))
        new_node = float(opts.get("scale_up", 0)) > 0 or len(FaultySpawner._k8s_running) >= capacity
        await self._wait(0.2)  # the pod is created and the scheduler looks at it
        if opts.get("unschedulable"):
            self._event("FailedScheduling", "0/3 nodes are available: 3 node(s) didn't match Pod's node "
                        "affinity/selector.", "Warning")
            self._event("NotTriggerScaleUp", "pod didn't trigger scale-up: 2 node(s) didn't match Pod's node "
                        "affinity/selector, 1 max node group size reached")
            timeout = float(opts.get("start_timeout", 3))
            await self._wait(timeout)
            raise TimeoutError(f"pod hub/{pod} did not start in {timeout:g} seconds!")
        if new_node:
            self._event("FailedScheduling", "0/3 nodes are available: 3 Insufficient memory. "
                        "preemption: 0/3 nodes are available.", "Warning")
            self._event("TriggeredScaleUp", "pod triggered scale-up: [{user-pool 3->4 (max: 20)}]")
            await self._wait(max(1.0, float(opts.get("scale_up", 1))))
        node = "user-pool-new" if new_node else "user-pool-warm"
        self._event("Scheduled", f"Successfully assigned hub/{pod} to {node}")
        image = "quay.io/hubprobe/user-image:2026.11"
        # the control file pull-<user> overrides the pull time at runtime (a registry getting slow)
        pull = float(self._control("pull-" + self.user.name, opts.get("pull", 0)))
        if new_node and opts.get("pull_fails_on_new_node"):
            self._event("Pulling", f'Pulling image "{image}"')
            await self._wait(max(pull, 0.2))
            self._event("Failed", f'Failed to pull image "{image}": rpc error: code = Unknown desc = '
                        "pull access denied, repository does not exist or may require authorization", "Warning")
            self._event("Failed", "Error: ErrImagePull", "Warning")
            self._event("BackOff", f'Back-off pulling image "{image}"', "Normal")
            await self._wait(0.5)
            raise RuntimeError(f"pod hub/{pod} did not start: image pull failed")
        if pull > 0:
            self._event("Pulling", f'Pulling image "{image}"')
            await self._wait(pull)
            self._event("Pulled", f'Successfully pulled image "{image}" in {pull:.3f}s')
        else:
            self._event("Pulled", f'Container image "{image}" already present on machine')
        start = float(opts.get("start", 0))
        if start > 0:
            await self._wait(start)
        self._event("Created", "Created container notebook")
        self._event("Started", "Started container notebook")
        result = await super().start()
        FaultySpawner._k8s_running.add(self.user.name + "/" + self.name)
        return result

    async def start(self):
        fault = self._fault()
        # a runtime switch: the control file fail-<user> makes this user's spawns fail until removed
        if self._control("fail-" + self.user.name, None) is not None:
            raise RuntimeError("simulated outage: spawns of " + self.user.name + " switched to failing")
        if fault in ("rohome", "fullhome"):
            self._home_mounted = self._broken_home(fault)
            if not self._home_mounted and fault == "rohome" and os.geteuid() == 0:
                # the mode stand-in does not bind root: its home would work and the test pass for nothing
                raise RuntimeError("rohome: no read-only home can be made here: mounting a tmpfs was refused and the"
                                   " hub runs as root, whom a read-only mode does not stop")
        if fault == "k8s":
            return await self._k8s_start()
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
        FaultySpawner._k8s_running.discard(self.user.name + "/" + self.name)
        if self._stop_requested is not None:
            self._stop_requested.set()
        return await super().stop(now=now)
