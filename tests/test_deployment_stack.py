"""The stack scripts fail clearly: one line saying what is wrong and what to do, non-zero exit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
STACK = REPO_ROOT / "deployment" / "scripts" / "stack.sh"
SOLR = REPO_ROOT / "deployment" / "solr"


def _run_stack(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(STACK), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port held by a plain TCP listener that speaks neither Redis nor Solr."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_busy_redis_port_names_the_port_and_the_variable(busy_port):
    result = _run_stack("services", env={"DAKNONG_REDIS_PORT": str(busy_port)})

    assert result.returncode != 0
    (line,) = _error_lines(result.stderr)
    assert str(busy_port) in line
    assert "DAKNONG_REDIS_PORT" in line


def test_busy_solr_port_names_the_port_and_the_variable(busy_port):
    result = _run_stack("services", env={"DAKNONG_SOLR_PORT": str(busy_port)})

    assert result.returncode != 0
    (line,) = _error_lines(result.stderr)
    assert str(busy_port) in line
    assert "DAKNONG_SOLR_PORT" in line


def test_missing_java_is_reported_with_the_fix(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    result = _run_stack("check", env={"PATH": str(bin_dir)})

    assert result.returncode != 0
    (line,) = _error_lines(result.stderr)
    assert "Java is missing" in line
    assert "openjdk-17" in line


def test_solr_launcher_exits_non_zero_naming_the_log_when_the_core_fails(tmp_path):
    home = tmp_path / "home"
    conf = home / "ckan" / "conf"
    conf.mkdir(parents=True)
    (home / "solr.xml").write_text("<solr></solr>\n")
    (home / "ckan" / "core.properties").write_text("name=ckan\n")
    (conf / "solrconfig.xml").write_text("<config><this-is-not-closed></config>\n")
    (conf / "schema.xml").write_text("<schema name='broken'/>\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "solr.log"

    result = subprocess.run(
        [
            "java",
            "-Xmx256m",
            f"-Dsolr.log.dir={tmp_path}",
            f"-Dlog4j2.configurationFile={SOLR / 'log4j2.xml'}",
            "-cp",
            f"{SOLR / 'lib'}/*",
            str(SOLR / "Launcher.java"),
            str(home),
            str(port),
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 3
    assert f"see {log}" in result.stderr
    assert "core 'ckan' failed to load" in result.stderr
