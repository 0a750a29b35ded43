"""The apps jupyter-server-proxy serves to the harness's "apps" users (see config/).

  app_server.py ok PORT     answers every GET 200 with a page that says "hubprobe app ok"
  app_server.py error PORT  answers 500 with a short error text, as an app whose backend is down
  app_server.py hang PORT   answers / (the proxy's readiness check) but never answers /slow:
                            an app whose page never renders
  app_server.py away PORT   redirects to the hub's login, as an app whose session bounced does
  app_server.py spa PORT    a page that renders in the browser: its script adds #app-root after 300 ms
                            (the HTML alone has only "loading"); under /broken its script throws
                            first (an empty frame, 200 all the same); under /stall an image of the page
                            never comes (/never), so the page's load never ends; under /noisy it
                            renders, then opens itself in a popup and logs a console error every 200 ms;
                            under /busy its script loops forever after the load (a hung page)

Only the standard library: nothing is installed for it.
"""
import http.server
import sys
import threading

MODE, PORT = sys.argv[1], int(sys.argv[2])
OK_PAGE = b"<!doctype html><html><head><title>hubprobe app</title></head><body>hubprobe app ok</body></html>"
SPA_RENDER = ("setTimeout(() => { const d = document.createElement('div'); d.id = 'app-root';"
              " d.textContent = 'hubprobe spa ready'; document.body.appendChild(d); }, 300);")


def spa_page(path):
    script = SPA_RENDER
    if path.startswith("/broken"):
        script = "throw new Error('hubprobe spa bundle failed'); " + script
    if path.startswith("/noisy"):
        script += (" if (!window.opener) { window.open(location.href); }"
                   " setInterval(() => console.error('hubprobe spa noisy page'), 200);")
    if path.startswith("/busy"):
        script = "setTimeout(() => { for (;;) {} }, 300);"
    image = '<img src="never">' if path.startswith("/stall") else ""
    return ("<!doctype html><html><head><title>hubprobe spa</title></head><body><p>loading</p>" + image
            + "<script>" + script + "</script></body></html>").encode()
STOP = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if (MODE == "hang" and self.path.startswith("/slow")) or (MODE == "spa" and "/never" in self.path):
            STOP.wait()  # never answers; the thread ends with the process
            return
        if MODE == "away":
            # relative, so the proxy leaves it as it is: /user/NAME/away/ + ../../../ is the hub's root
            self.send_response(302)
            self.send_header("Location", "../../../hub/login?next=%2Fuser%2F")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if MODE == "error":
            body, status, kind = b"app backend unavailable: database connection refused", 500, "text/plain"
        elif MODE == "spa":
            body, status, kind = spa_page(self.path), 200, "text/html"
        else:
            body, status, kind = OK_PAGE, 200, "text/html"
        self.send_response(status)
        self.send_header("Content-Type", kind + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
server.serve_forever()
