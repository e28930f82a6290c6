"""HTTP for harvesters: bounded in time, size and redirects, and silent about credentials.

Agency portals are slow, misconfigured or down; a harvest must fail with a clear message
instead of hanging, filling memory or looping. The API token travels in a header only and
never appears in an error message, a log line or a harvest error (they are all built here
from the URL and the status, and the token is scrubbed from anything else).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import ckan.plugins.toolkit as tk
import requests
import urllib3.exceptions

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class FetchError(Exception):
    """A source could not be read; the message is safe to show and to log."""


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int
    max_redirects: int
    # Whole document, connection to last byte: the timeout above bounds each wait only, so a
    # server that drips a byte at a time would otherwise hold a harvest for hours.
    deadline: float = 600.0

    @classmethod
    def from_config(cls) -> Limits:
        return cls(
            timeout=tk.config.get("ckanext.daknong.harvest.timeout_seconds"),
            max_bytes=tk.config.get("ckanext.daknong.harvest.max_bytes"),
            max_redirects=tk.config.get("ckanext.daknong.harvest.max_redirects"),
            deadline=tk.config.get("ckanext.daknong.harvest.document_deadline_seconds"),
        )


def scrub(text: str, token: str | None) -> str:
    """Remove the token from a message, whatever produced it."""
    return text.replace(token, "***") if token else text


def get(url: str, token: str | None = None, limits: Limits | None = None) -> bytes:
    """GET ``url`` and return its body, or raise FetchError with a safe message."""
    limits = limits or Limits.from_config()
    deadline = time.monotonic() + limits.deadline
    session = requests.Session()
    session.max_redirects = limits.max_redirects
    headers = {"User-Agent": "ckanext-daknong-harvester"}
    if token:
        headers["Authorization"] = token
    try:
        with session.get(url, headers=headers, timeout=limits.timeout, stream=True) as response:
            response.raise_for_status()
            return _read_capped(response, limits, url, deadline)
    # `from None`: requests' exceptions carry the prepared request, headers and all.
    except requests.TooManyRedirects:
        raise FetchError(_message("too many redirects (redirect loop?)", url)) from None
    # The body is read from urllib3 directly (see _read_capped): its errors too.
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise FetchError(_message(f"timed out after {limits.timeout:g} s", url)) from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise FetchError(_message(f"HTTP error {status}", url)) from None
    except requests.RequestException:
        raise FetchError(_message("cannot connect", url)) from None
    except urllib3.exceptions.HTTPError:
        raise FetchError(_message("connection broken while reading", url)) from None
    finally:
        session.close()


def _read_capped(response: requests.Response, limits: Limits, url: str, deadline: float) -> bytes:
    """The body, within the size cap and the document's deadline.

    ``read1`` returns what one read of the socket gives (at most CHUNK bytes), so the deadline
    is checked after every few bytes a slow server sends; a plain ``read(CHUNK)`` would wait
    for the whole chunk. A single wait is still bounded by the per-request timeout, so a
    document is cut off at most ``timeout_seconds`` after its deadline.
    """
    max_bytes = limits.max_bytes
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(_message(f"larger than the {max_bytes} byte limit", url))
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise FetchError(_message(f"not fully received within {limits.deadline:g} s", url))
        chunk = response.raw.read1(CHUNK, decode_content=True)
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError(_message(f"larger than the {max_bytes} byte limit", url))


def _message(problem: str, url: str) -> str:
    return f"{url}: {problem}"
