"""HTTP for harvesters: bounded in time, size and redirects, and silent about credentials.

Agency portals are slow, misconfigured or down; a harvest must fail with a clear message
instead of hanging, filling memory or looping. The API token travels in a header only and
never appears in an error message, a log line or a harvest error (they are all built here
from the URL and the status, and the token is scrubbed from anything else).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import ckan.plugins.toolkit as tk
import requests

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class FetchError(Exception):
    """A source could not be read; the message is safe to show and to log."""


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int
    max_redirects: int

    @classmethod
    def from_config(cls) -> Limits:
        return cls(
            timeout=tk.config.get("ckanext.daknong.harvest.timeout_seconds"),
            max_bytes=tk.config.get("ckanext.daknong.harvest.max_bytes"),
            max_redirects=tk.config.get("ckanext.daknong.harvest.max_redirects"),
        )


def scrub(text: str, token: str | None) -> str:
    """Remove the token from a message, whatever produced it."""
    return text.replace(token, "***") if token else text


def get(url: str, token: str | None = None, limits: Limits | None = None) -> bytes:
    """GET ``url`` and return its body, or raise FetchError with a safe message."""
    limits = limits or Limits.from_config()
    session = requests.Session()
    session.max_redirects = limits.max_redirects
    headers = {"User-Agent": "ckanext-daknong-harvester"}
    if token:
        headers["Authorization"] = token
    try:
        with session.get(url, headers=headers, timeout=limits.timeout, stream=True) as response:
            response.raise_for_status()
            return _read_capped(response, limits.max_bytes, url)
    # `from None`: requests' exceptions carry the prepared request, headers and all.
    except requests.TooManyRedirects:
        raise FetchError(_message("too many redirects (redirect loop?)", url)) from None
    except requests.Timeout:
        raise FetchError(_message(f"timed out after {limits.timeout:g} s", url)) from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise FetchError(_message(f"HTTP error {status}", url)) from None
    except requests.RequestException:
        raise FetchError(_message("cannot connect", url)) from None
    finally:
        session.close()


def _read_capped(response: requests.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(_message(f"larger than the {max_bytes} byte limit", url))
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError(_message(f"larger than the {max_bytes} byte limit", url))
    return bytes(body)


def _message(problem: str, url: str) -> str:
    return f"{url}: {problem}"
