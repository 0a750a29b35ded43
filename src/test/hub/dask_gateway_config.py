# The test hub's Dask Gateway: a real dask-gateway-server (pinned in requirements.lock), started and
# stopped by the Java harness (src/test/java/dev/hubprobe/testhub/DaskGateway.java), which sets
# every HUBPROBE_GATEWAY_* variable. Clusters are local processes of this user (UnsafeLocalBackend:
# no user separation, tests only); users sign in with their JupyterHub token, checked against the
# harness hub as a daskhub deployment does.
import json
import os
import sys

env = os.environ
c = get_config()  # noqa: F821

# three free 127.0.0.1 ports: the public HTTP API, the scheduler (TLS/SNI) proxy, the private API
c.Proxy.address = "127.0.0.1:" + env["HUBPROBE_GATEWAY_PORT"]
c.Proxy.tcp_address = "127.0.0.1:" + env["HUBPROBE_GATEWAY_TCP_PORT"]
c.DaskGateway.address = "127.0.0.1:" + env["HUBPROBE_GATEWAY_API_PORT"]

c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.LocalBackend.clusters_directory = os.path.join(env["HUBPROBE_GATEWAY_RUN_DIR"], "clusters")
# distributed no longer ships the dask-scheduler / dask-worker scripts: the modules, with this Python
c.ClusterConfig.scheduler_cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
c.ClusterConfig.worker_cmd = [sys.executable, "-m", "distributed.cli.dask_worker"]
if env.get("HUBPROBE_GATEWAY_WORKER_CMD"):
    # a worker that cannot start (one test): the gateway retries it, then fails the cluster
    c.ClusterConfig.worker_cmd = json.loads(env["HUBPROBE_GATEWAY_WORKER_CMD"])
# CPU is scarce on the test machine: one thread per process, small memory limits
c.ClusterConfig.worker_cores = 1
c.ClusterConfig.worker_threads = 1
c.ClusterConfig.worker_memory = "512 M"
c.ClusterConfig.scheduler_cores = 1
c.ClusterConfig.scheduler_memory = "512 M"
c.ClusterConfig.cluster_max_workers = 4
# a cluster nobody stops is ended after 10 minutes even so; the probe's cleanup must not rely on it
c.ClusterConfig.idle_timeout = 600
c.LocalBackend.sigint_timeout = 5
c.LocalBackend.sigterm_timeout = 5

c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
# from the environment, as the daskhub chart passes them: the hub's API and this service's token
c.JupyterHubAuthenticator.jupyterhub_api_url = env["JUPYTERHUB_API_URL"]
c.JupyterHubAuthenticator.jupyterhub_api_token = env["JUPYTERHUB_API_TOKEN"]
# a user's token must hold access:services!service=dask-gateway (jupyterhub_config.py grants it)
c.JupyterHubAuthenticator.jupyterhub_service_name = "dask-gateway"
# a dead worker is noticed, and retried, sooner than by the defaults (30 s between checks): the
# broken-worker test then ends in seconds, not minutes (the gateway still gives up after
# worker_start_failure_limit failed starts, as it would in production)
c.LocalBackend.worker_status_period = 2
c.LocalBackend.backoff_base_delay = 0.2
c.LocalBackend.backoff_max_delay = 2
