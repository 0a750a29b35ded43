# jupyter-server-proxy apps for the harness's "apps" users (hubprobe_test_spawner.py puts this
# directory on their JUPYTER_CONFIG_PATH; other users' servers proxy nothing): one that works, one
# that answers 500, one that exits at once (the proxy's own 500), one whose page never comes,
# one that redirects to the hub's login, one that renders in the browser (spa).
import os
import sys

c = get_config()  # noqa: F821
script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app_server.py")


def app(mode, timeout=20):
    return {"command": [sys.executable, script, mode, "{port}"], "timeout": timeout,
            "launcher_entry": {"enabled": False}}


c.ServerProxy.servers = {
    "hello": app("ok"),
    "broken": app("error"),
    "hang": app("hang"),
    "away": app("away"),
    "spa": app("spa"),
    # exits at once: the proxy gives up after its 3 s and answers 500 "could not start crashed in time"
    "crashed": {"command": [sys.executable, "-c", "raise SystemExit(3)"], "timeout": 3,
                "launcher_entry": {"enabled": False}},
}
