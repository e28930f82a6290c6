"""HTTP for harvesters: bounded in time, size and redirects, and silent about credentials.

Agency portals are slow, misconfigured or down; a harvest must fail with a clear message
instead of hanging, filling memory or looping. The API token travels in a header only and
never appears in an error message, a log line or a harvest error (they are all built here
from the URL and the status, and the token is scrubbed from anything else).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import ckan.plugins.toolkit as tk
import requests
import urllib3.exceptions

from ckanext.daknong.harvest.messages import N_, Message

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class FetchError(Exception):
    """A source could not be read; the message is safe to show and to log.

    Raised with a Message: ``str(error)`` is its bilingual text (Vietnamese / English).
    """

    def __init__(self, message: Message | str) -> None:
        super().__init__(str(message))
        self.message = message


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


class Guard(Protocol):
    """Decides whether an address may be fetched (the self-check's netguard.AddressPolicy)."""

    def check_url(self, url: str) -> None: ...

    def check_address(self, address: str | None, url: str) -> None: ...


_guard: contextvars.ContextVar[Guard | None] = contextvars.ContextVar(
    "daknong_harvest_fetch_guard", default=None
)


@contextlib.contextmanager
def guarded(guard: Guard) -> Iterator[None]:
    """Every ``get`` inside, redirects and further pages included, obeys ``guard``."""
    token = _guard.set(guard)
    try:
        yield
    finally:
        _guard.reset(token)


class _GuardedSession(requests.Session):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        # called by requests before it follows each redirect
        self.guard.check_url(prepared_request.url)
        super().rebuild_auth(prepared_request, response)


def _peer(response: requests.Response) -> str | None:
    """The address the connection really reached (not what a second DNS lookup says)."""
    try:
        return str(response.raw._fp.fp.raw._sock.getpeername()[0])
    except (AttributeError, OSError, IndexError):
        return None


def get(url: str, token: str | None = None, limits: Limits | None = None) -> bytes:
    """GET ``url`` and return its body, or raise FetchError with a safe message."""
    limits = limits or Limits.from_config()
    deadline = time.monotonic() + limits.deadline
    guard = _guard.get()
    if guard is not None:
        guard.check_url(url)
    session = _GuardedSession(guard) if guard is not None else requests.Session()
    session.max_redirects = limits.max_redirects
    headers = {"User-Agent": "ckanext-daknong-harvester"}
    if token:
        headers["Authorization"] = token
    try:
        with session.get(url, headers=headers, timeout=limits.timeout, stream=True) as response:
            if guard is not None:
                guard.check_address(_peer(response), response.url)
            response.raise_for_status()
            return _read_capped(response, limits, url, deadline)
    # `from None`: requests' exceptions carry the prepared request, headers and all.
    except requests.TooManyRedirects:
        raise FetchError(N_("{url}: too many redirects (redirect loop?)", url=url)) from None
    # The body is read from urllib3 directly (see _read_capped): its errors too.
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise FetchError(
            N_("{url}: timed out after {seconds} s", url=url, seconds=f"{limits.timeout:g}")
        ) from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise FetchError(N_("{url}: HTTP error {status}", url=url, status=status)) from None
    except requests.RequestException:
        raise FetchError(N_("{url}: cannot connect", url=url)) from None
    except urllib3.exceptions.HTTPError:
        raise FetchError(N_("{url}: connection broken while reading", url=url)) from None
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
        raise FetchError(_too_large(url, max_bytes))
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise FetchError(
                N_(
                    "{url}: not fully received within {seconds} s",
                    url=url,
                    seconds=f"{limits.deadline:g}",
                )
            )
        chunk = response.raw.read1(CHUNK, decode_content=True)
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError(_too_large(url, max_bytes))


def _too_large(url: str, max_bytes: int) -> Message:
    return N_("{url}: larger than the {limit} byte limit", url=url, limit=max_bytes)
