"""A Jupyter Server extension that stands in for an ingress in front of one user's server.

Loaded only for the spawns of the users whose fault asks for it (hubprobe_test_spawner.py puts this
directory on the server's PYTHONPATH and JUPYTER_CONFIG_PATH). It looks at each request before
Jupyter Server routes it, as a proxy would, and acts by HUBPROBE_TEST_WS_POLICY:

  refuse_origin   a websocket upgrade carrying Origin is refused with 403: what an ingress that
                  blocks browsers' upgrades (or rewrites Host so Origin no longer matches) does.
                  An upgrade without Origin, a script's, goes through.
  require_origin  a websocket upgrade is let through only with an Origin whose host:port is the
                  request's Host, as a browser's is; any other upgrade is refused with 403.
  cookie_only     as require_origin, and any request that carries a token (an Authorization
                  header, or ?token=) is refused with 401: the user reaches the server as a
                  browser does, by the cookies of the hub's OAuth hop alone.

  break_callback  the server's oauth_callback is answered 500 by the ingress: the OAuth hop breaks
                  at its callback step.
  drop_session_cookie  the server's own session cookie (jupyterhub-user-NAME, set at its
                  oauth_callback) is stripped from every request, as a proxy with a cookie
                  allow-list does: the hop breaks at its cookie step (the OAuth state cookie
                  still passes, so the callback itself works).

Every refusal is logged on one line starting "hubprobe-ws-ingress refused", which tests read.
"""
import os
from urllib.parse import urlparse

from tornado import web

POLICIES = ("refuse_origin", "require_origin", "cookie_only", "break_callback", "drop_session_cookie")


class _Refuse(web.RequestHandler):
    def initialize(self, status, why):
        self._status = status
        self._why = why

    def prepare(self):
        self.set_status(self._status)
        self.set_header("Content-Type", "application/json")
        self.finish('{"message": "%s"}' % self._why)


def _drop_session_cookie(headers):
    kept = [c for c in headers.get("Cookie", "").split(";")
            if not (c.strip().startswith("jupyterhub-user-") and not c.split("=", 1)[0].strip().endswith("-oauth-state"))]
    if "Cookie" in headers:
        del headers["Cookie"]
    if any(c.strip() for c in kept):
        headers["Cookie"] = ";".join(kept)


def _refusal(policy, request):
    headers = request.headers
    if policy == "drop_session_cookie":
        _drop_session_cookie(headers)
        return None
    if policy == "break_callback":
        if request.path.endswith("/oauth_callback"):
            return 500, "the test ingress broke the oauth_callback"
        return None
    upgrade = headers.get("Upgrade", "").lower() == "websocket"
    origin = headers.get("Origin")
    if policy == "cookie_only":
        if headers.get("Authorization") or "token=" in (request.query or ""):
            return 401, "the test ingress takes no tokens: browser sessions only"
    if not upgrade:
        return None
    if policy == "refuse_origin":
        if origin is not None:
            return 403, "the test ingress refuses websocket upgrades that carry Origin"
        return None
    if origin is None or urlparse(origin.lower()).netloc != headers.get("Host", "").lower():
        return 403, "the test ingress wants Origin matching Host on websocket upgrades (got %s, Host %s)" % (
            origin, headers.get("Host"))
    return None


def _load_jupyter_server_extension(serverapp):
    policy = os.environ.get("HUBPROBE_TEST_WS_POLICY", "refuse_origin")
    if policy not in POLICIES:
        raise ValueError("HUBPROBE_TEST_WS_POLICY must be one of %s, not %r" % (POLICIES, policy))
    app = serverapp.web_app
    routed = app.find_handler

    # Before routing, as an ingress stands before the server: the kernel handler never sees the request.
    def find_handler(request, **kwargs):
        refusal = _refusal(policy, request)
        if refusal is None:
            return routed(request, **kwargs)
        serverapp.log.warning("hubprobe-ws-ingress refused %s %s (%s): %d %s", request.method, request.path,
                              policy, refusal[0], refusal[1])
        return app.get_handler_delegate(request, _Refuse, {"status": refusal[0], "why": refusal[1]})

    app.find_handler = find_handler
    serverapp.log.info("hubprobe-ws-ingress: policy %s", policy)


def _jupyter_server_extension_points():
    return [{"module": "hubprobe_ws_ingress"}]
