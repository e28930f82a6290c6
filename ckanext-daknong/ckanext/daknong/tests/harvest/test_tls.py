"""TLS through the pinned connection (QĐ 43 Art. 12.3): the harvest connects to the address
the guard checked, yet speaks TLS to the host name — the server name (SNI) is the URL's host,
and the certificate is still verified, so pinning the address weakens nothing.

A real HTTPS server on 127.0.0.1 with a self-signed certificate for ``cong-du-lieu.test``
(made by the openssl command line); the name resolves to 127.0.0.1 in the test only.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ckanext.daknong.harvest import fetch

HOST = "cong-du-lieu.test"
ALLOWED = "ckanext.daknong.harvest.allowed_networks"


def _certificate(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}"),
            *("-addext", f"subjectAltName=DNS:{HOST}"),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"du lieu")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[int, list[str | None]]]:
    """(port, server names the clients sent)."""
    key, cert = _certificate(tmp_path)
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Quiet)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda *args: None  # the refused handshake is the expected outcome
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], names
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def name_resolves_to_loopback(monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.mark.usefixtures("name_resolves_to_loopback")
def test_the_pinned_connection_sends_the_host_name_and_verifies_the_certificate(
    https_server, ckan_config, monkeypatch
):
    monkeypatch.setitem(ckan_config, ALLOWED, ["127.0.0.0/8"])
    port, names = https_server

    with pytest.raises(fetch.FetchError) as refused:
        fetch.get(f"https://{HOST}:{port}/danh-muc.csv")

    # the TLS server name is the URL's host, not the pinned address
    assert names == [HOST]
    # and the self-signed certificate is refused: verification stays on
    assert "cannot connect" in str(refused.value)
