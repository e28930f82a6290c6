"""Real local HTTP servers for harvest tests: a CKAN Action API, static files, faults.

No mocks: the harvesters speak HTTP to these servers exactly as to an agency's portal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between single bytes of the body: a server that drips (never idle long enough
    # for a per-request timeout, never done).
    drip: float = 0.0


Route = Callable[[str, dict[str, list[str]], dict[str, str]], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parsed = urlparse(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append((parsed.path, parse_qs(parsed.query), headers))
        route = self.server.routes.get(parsed.path)
        reply = route(parsed.path, parse_qs(parsed.query), headers) if route else Reply(404)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.drip:
                for index in range(len(reply.body)):
                    self.wfile.write(reply.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            else:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: Any) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]]


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread; ``routes`` maps paths to handlers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.httpd = _Server((host, 0), _Handler)
        self.httpd.routes = {}
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[tuple[str, dict[str, list[str]], dict[str, str]]]:
        return self.httpd.requests

    def route(self, path: str, handler: Route) -> None:
        self.httpd.routes[path] = handler

    def static(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/octet-stream",
        status: int = 200,
        delay: float = 0.0,
    ) -> None:
        self.route(path, lambda *_: Reply(status, body, {"Content-Type": content_type}, delay))

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeCkan:
    """Enough of CKAN's Action API for a harvester: ``package_search`` with paging,
    private datasets only for the right token and ``include_private=true``."""

    def __init__(self, server: LocalServer, token: str | None = None) -> None:
        self.server = server
        self.token = token
        self.datasets: list[dict[str, Any]] = []
        self.fault: Reply | None = None
        server.route("/api/3/action/package_search", self.package_search)

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, **fields: Any) -> dict[str, Any]:
        dataset = {
            "id": fields.pop("id"),
            "type": "dataset",
            "private": False,
            "tags": [],
            "resources": [],
            **fields,
        }
        self.datasets.append(dataset)
        return dataset

    def package_search(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> Reply:
        if self.fault is not None:
            return self.fault
        authorised = self.token is not None and headers.get("authorization") == self.token
        private = query.get("include_private", ["false"])[0] == "true" and authorised
        visible = sorted(
            (d for d in self.datasets if private or not d.get("private")), key=lambda d: d["id"]
        )
        start, rows = int(query.get("start", ["0"])[0]), int(query.get("rows", ["10"])[0])
        result = {"count": len(visible), "results": visible[start : start + rows]}
        body = json.dumps({"success": True, "result": result}, ensure_ascii=False).encode()
        return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"})
