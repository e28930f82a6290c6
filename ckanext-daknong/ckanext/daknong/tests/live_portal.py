"""The portal under gunicorn (the production WSGI server) on a free loopback port, with the
test configuration, for the tests that need real HTTP: cookies, CSRF tokens, several workers."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ckanext.daknong.tests.smtp_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[4]
START_SECONDS = 90


@contextlib.contextmanager
def gunicorn(
    log_dir: Path, workers: int = 1, own_site_url: bool = False, **options: str
) -> Iterator[str]:
    """Start gunicorn with ``workers`` workers; yield its base URL; stop it afterwards.

    ``options`` are ini settings laid over test.ini (in a file of ``log_dir`` that inherits
    from it). ``own_site_url`` makes ``ckan.site_url`` the server's own address, for a browser
    that follows the portal's absolute redirects (after login, for one). Fails the test (with
    the end of gunicorn's log) if it exits or does not answer in time.
    """
    port = free_port()
    log = log_dir / "gunicorn.log"
    ini = REPO_ROOT / "test.ini"
    if own_site_url:
        options = {"ckan.site_url": f"http://127.0.0.1:{port}", **options}
    if options:
        lines = [f"use = config:{ini}", *(f"{key} = {value}" for key, value in options.items())]
        ini = log_dir / "portal.ini"
        ini.write_text("[app:main]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    env = dict(os.environ, CKAN_INI=str(ini))
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:application"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT / "deployment", env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                requests.get(f"{base}/api/3/action/status_show", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # workers still loading
                time.sleep(0.3)
        else:
            pytest.fail(f"gunicorn did not answer within {START_SECONDS} s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
