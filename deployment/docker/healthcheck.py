#!/usr/bin/env python3
"""Container health checks for the portal image (standard library only).

The ckan-base image is a slim Debian without procps or curl, so the compose healthchecks call
this script with the image's own Python:

    healthcheck.py http URL               the URL answers 200 with a CKAN action body
                                          {"success": true} (e.g. status_show)
    healthcheck.py process ARG [ARG ...]  a process runs whose argument list contains ARG ...
                                          consecutively (e.g. harvester gather-consumer)
    healthcheck.py fresh PATH SECONDS     PATH was modified less than SECONDS ago (the
                                          scheduler's heartbeat)

Exit status 0 means healthy, 1 unhealthy, 2 wrong usage; the reason is printed, and Docker
keeps it in `docker inspect` for the operator.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

# Process-manager wrappers whose argument list repeats the command they supervise (compose
# `init: true` runs docker-init as PID 1 with the service command as its arguments).
_WRAPPERS = frozenset({"docker-init", "tini"})


def check_http(url: str, timeout: float = 10.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = response.status
            body = response.read()
    except Exception as error:  # any failure to get an answer is unhealthy
        return False, f"{url}: {error}"
    if status != 200:
        return False, f"{url}: HTTP {status}"
    try:
        success = json.loads(body).get("success") is True
    except (ValueError, AttributeError):
        return False, f"{url}: not a CKAN action response"
    return (True, f"{url}: ok") if success else (False, f"{url}: success is not true")


def _argv(proc: Path) -> list[str]:
    try:
        raw = (proc / "cmdline").read_bytes()
    except OSError:  # the process ended while we looked, or is not ours to read
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def check_process(wanted: list[str], proc_root: Path = Path("/proc")) -> tuple[bool, str]:
    """Match the argument sequence, never this checker itself nor a supervising wrapper.

    Matching whole arguments in order (not a substring of the command line) is what keeps the
    check from finding itself: here the wanted words are separate arguments of *this* process
    too, so this process is excluded by pid, and so is its parent (the healthcheck's shell).
    """
    own = {str(os.getpid()), str(os.getppid())}
    n = len(wanted)
    for proc in proc_root.iterdir():
        if not proc.name.isdigit() or proc.name in own:
            continue
        argv = _argv(proc)
        if not argv or Path(argv[0]).name in _WRAPPERS:
            continue
        if any(argv[i : i + n] == wanted for i in range(len(argv) - n + 1)):
            return True, f"pid {proc.name}: {' '.join(argv)}"
    return False, f"no process runs {' '.join(wanted)}"


def check_fresh(path: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError as error:
        return False, f"{path}: {error}"
    if age > max_age:
        return False, f"{path}: last beat {age:.0f}s ago (limit {max_age:.0f}s)"
    return True, f"{path}: last beat {age:.0f}s ago"


def main(argv: list[str]) -> int:
    try:
        mode, *args = argv
        if mode == "http" and len(args) == 1:
            healthy, reason = check_http(args[0])
        elif mode == "process" and args:
            healthy, reason = check_process(args)
        elif mode == "fresh" and len(args) == 2:
            healthy, reason = check_fresh(Path(args[0]), float(args[1]))
        else:
            raise ValueError(mode)
    except ValueError:
        print(__doc__, file=sys.stderr)
        return 2
    print(reason)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
