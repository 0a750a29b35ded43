# hubprobe's test hub: a real JupyterHub on 127.0.0.1, started by the Java harness
# (src/test/java/dev/hubprobe/testhub/RealHub.java), which sets every HUBPROBE_TEST_* variable.
import os
import sys

import jupyterhub

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

# The compatibility matrix (RealHub.Spec): a path prefix, a default URL, and a single-user
# environment of its own, apart from the hub's, as a user image is.
if env.get("HUBPROBE_TEST_BASE_URL"):
    # through bind_url's path: a base_url set beside bind_url makes the hub bind its default :8000
    c.JupyterHub.bind_url = c.JupyterHub.bind_url + env["HUBPROBE_TEST_BASE_URL"]
singleuser_venv = env.get("HUBPROBE_TEST_SINGLEUSER_VENV")
if env.get("HUBPROBE_TEST_DEFAULT_URL"):
    c.Spawner.default_url = env["HUBPROBE_TEST_DEFAULT_URL"]
elif not singleuser_venv:
    # the default hub's servers run the hub's own venv, which has JupyterLab (requirements.lock): users
    # land in it, as on most hubs; a matrix cell's own single-user environment keeps its own default
    c.Spawner.default_url = "/lab"

# Any user name logs in with the shared password: the prober's form-login path is real.
try:
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator  # noqa: F401
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = env["HUBPROBE_TEST_PASSWORD"]
    c.Authenticator.allow_all = True
except ImportError:
    # before 5.3 there is no SharedPasswordAuthenticator: the DummyAuthenticator's shared password
    c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
    c.DummyAuthenticator.password = env["HUBPROBE_TEST_PASSWORD"]
    c.Authenticator.allow_all = True  # 5.x allows no one by default; 4.1 knows no such option, and allows all

c.JupyterHub.spawner_class = FaultySpawner
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(run_dir, "home", "{username}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 300
if int(jupyterhub.__version__.split(".")[0]) < 5:
    # before 5.0 a pending spawn cannot be cancelled (DELETE answers 400): a stalled spawn ends only at
    # the hub's own start_timeout, so the matrix's stalled-spawn case waits that long for its cleanup.
    # JupyterHub's own default (60 s), not the 300 s above: the cell shows what a default 4.1 hub does,
    # inside the probe's default 2 min cleanup budget, and a slow spawn under load still has a minute.
    c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 20
# a server that shuts itself down (a Binder launch, POST api/shutdown) leaves the hub's list soon
c.Spawner.poll_interval = 5
c.Spawner.environment = {"PATH": env["PATH"]}
if singleuser_venv:
    c.Spawner.cmd = [os.path.join(singleuser_venv, "bin", "jupyterhub-singleuser")]
    c.Spawner.environment = {"PATH": os.path.join(singleuser_venv, "bin") + os.pathsep + env["PATH"]}
    if env.get("HUBPROBE_TEST_SINGLEUSER_APP"):
        c.Spawner.environment["JUPYTERHUB_SINGLEUSER_APP"] = env["HUBPROBE_TEST_SINGLEUSER_APP"]
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
    # the harness's Dask Gateway (DaskGateway.java), which checks users' tokens with the hub
    {"name": "dask-gateway", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"] + "-dask-gateway"},
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
    {"name": "hubprobe-nomint", "scopes": ["servers!group=probers"], "services": ["hubprobe-nomint"]},
    # as daskhub grants it: users, and their servers' tokens (what a kernel's dask_gateway.Gateway() sends), may use
    # the gateway; the rest of both roles is JupyterHub's default
    {"name": "user", "scopes": ["self", "access:services!service=dask-gateway"]},
    {"name": "server", "scopes": ["users:activity!user", "access:servers!server", "access:services!service=dask-gateway"]},
]
if int(jupyterhub.__version__.split(".")[0]) >= 6:
    # start:servers is new in 6.0: before it, "servers" (start and stop) always holds read:servers
    c.JupyterHub.load_roles.append({"name": "hubprobe-noread", "services": ["hubprobe-noread"], "scopes": [
        "start:servers!group=probers", "delete:servers!group=probers", "read:users:name!group=probers",
        "tokens!group=probers"]})
# robot users made by the operator once (a least-privilege role cannot create users)
c.JupyterHub.load_groups = {"probers": {"users": ["probe-bot-1", "probe-bot-2", "probe-bot-3"]}}

# hubprobe's pages as a service of the hub (server.base_path, server.hub_oauth; HubSignInIT): the proxy
# sends /services/hubprobe/ to the hubprobe the test runs on this port, and the service's OAuth client
# (secret: its api_token; redirect: JupyterHub's default, /services/hubprobe/oauth_callback) signs
# operators in. "hubprobe-operators" is the group server.hub_oauth.allow lists, and its role gives the
# access scope; "hubprobe-viewers" has the scope but is not listed; anyone else has neither.
if env.get("HUBPROBE_TEST_SIGNIN_PORT"):
    c.JupyterHub.services[0]["url"] = f"http://127.0.0.1:{env['HUBPROBE_TEST_SIGNIN_PORT']}"
    if int(jupyterhub.__version__.split(".")[0]) >= 6:
        # 6.0's per-service wait (30 s by default) at every start: only HubSignInIT serves there, and later
        c.JupyterHub.services[0]["timeout"] = 1
    # no "Authorize access" page at the first sign-in: the README says when an operator may want it
    c.JupyterHub.services[0]["oauth_no_confirm"] = True
    c.JupyterHub.load_groups["hubprobe-operators"] = {"users": ["op-alice"]}
    c.JupyterHub.load_groups["hubprobe-viewers"] = {"users": ["op-viewer"]}
    c.JupyterHub.load_roles.append({"name": "hubprobe-operators", "scopes": ["access:services!service=hubprobe"],
                                    "groups": ["hubprobe-operators", "hubprobe-viewers"]})
    # the operator who changes the group in the test (the prober's role has no business with groups)
    c.JupyterHub.services.append({"name": "test-groups", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"] + "-groups"})
    c.JupyterHub.load_roles.append({"name": "test-groups", "scopes": ["admin:groups"], "services": ["test-groups"]})
