"""A loopback HTTP proxy that holds every request for a fixed delay, to model GCS latency.

fake-gcs-server answers in well under a millisecond; Cloud Storage takes tens of
milliseconds a request. A reader that makes one request per stack, one after another, looks
fine against the emulator and takes tens of seconds against GCS. The proxy makes the
difference visible: each request waits `delay` seconds, then goes to the emulator, and the
answer comes back unchanged. Requests are served concurrently (a thread each), as GCS serves
them. Loopback only; it stops with the benchmark.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import time
from dataclasses import dataclass

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class LatencyProxy:
    """A running proxy: clients use `host`; it forwards to `upstream`."""

    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    host: str
    requests: list[float]
    """Arrival time of every request (so a benchmark can count them)."""

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start(upstream: str, delay: float) -> LatencyProxy:
    """Proxy `127.0.0.1:<free port>` to `upstream` (`host:port`), `delay` seconds a request."""
    arrivals: list[float] = []
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _forward(self) -> None:
            arrivals.append(time.monotonic())
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Host"] = upstream
            time.sleep(delay)
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(upstream, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
            except (http.client.HTTPException, OSError):
                local.connection = None
                raise
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP | {"content-length"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="latency-proxy", daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_address[1]}"
    return LatencyProxy(server, thread, host, arrivals)
