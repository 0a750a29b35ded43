# hubprobe's test hub: a real JupyterHub on 127.0.0.1, started by the Java harness
# (src/test/java/dev/hubprobe/testhub/RealHub.java), which sets every HUBPROBE_TEST_* variable.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubprobe_test_spawner import FaultySpawner, write_kernelspecs  # noqa: E402

env = os.environ
run_dir = env["HUBPROBE_TEST_RUN_DIR"]
write_kernelspecs(run_dir)

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = f"http://127.0.0.1:{env['HUBPROBE_TEST_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env['HUBPROBE_TEST_HUB_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['HUBPROBE_TEST_API_PORT']}"
c.ConfigurableHTTPProxy.command = [env["HUBPROBE_TEST_CHP"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(run_dir, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(run_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(run_dir, "cookie_secret")
c.JupyterHub.pid_file = os.path.join(run_dir, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# Any user name logs in with the shared password: the prober's form-login path is real.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env["HUBPROBE_TEST_PASSWORD"]
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = FaultySpawner
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(run_dir, "home", "{username}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 20
# a server that shuts itself down (a Binder launch, POST api/shutdown) leaves the hub's list soon
c.Spawner.poll_interval = 5
c.Spawner.environment = {"PATH": env["PATH"]}
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 12  # concurrent per-run servers of one robot user

# The prober's service token with wide scopes: the tests create users of every fault as they go.
c.JupyterHub.services = [
    {"name": "hubprobe", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"]},
    # the least-privilege role the README documents, for the robot users of the group "probers"
    {"name": "hubprobe-min", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"] + "-min"},
    # the same role without read:servers: it cannot see servers, so it cannot clean up
    {"name": "hubprobe-noread", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"] + "-noread"},
    # the same role without tokens: it cannot mint a token for the user
    {"name": "hubprobe-nomint", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"] + "-nomint"},
]
# "servers" holds read:servers, start:servers and delete:servers; "tokens" lets it mint the run's token
MINIMAL = ["servers!group=probers", "tokens!group=probers"]
c.JupyterHub.load_roles = [
    {
        "name": "hubprobe",
        "scopes": ["admin:users", "admin:servers", "access:servers", "tokens", "list:users", "read:users"],
        "services": ["hubprobe"],
    },
    {"name": "hubprobe-min", "scopes": MINIMAL, "services": ["hubprobe-min"]},
    {"name": "hubprobe-noread", "services": ["hubprobe-noread"], "scopes": [
        "start:servers!group=probers", "delete:servers!group=probers", "read:users:name!group=probers",
        "tokens!group=probers"]},
    {"name": "hubprobe-nomint", "scopes": ["servers!group=probers"], "services": ["hubprobe-nomint"]},
]
# robot users made by the operator once (a least-privilege role cannot create users)
c.JupyterHub.load_groups = {"probers": {"users": ["probe-bot-1", "probe-bot-2", "probe-bot-3"]}}
