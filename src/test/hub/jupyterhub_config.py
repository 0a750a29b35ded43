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
c.Spawner.environment = {"PATH": env["PATH"]}
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 5

# The prober's service token, as an operator would configure one for hubprobe.
c.JupyterHub.services = [{"name": "hubprobe", "api_token": env["HUBPROBE_TEST_SERVICE_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "hubprobe",
    "scopes": ["admin:users", "admin:servers", "access:servers", "tokens", "list:users", "read:users"],
    "services": ["hubprobe"],
}]
