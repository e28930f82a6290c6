"""HTTP for harvesters: bounded in time, size and redirects, and silent about credentials.

Agency portals are slow, misconfigured or down; a harvest must fail with a clear message
instead of hanging, filling memory or looping. The API token travels in a header only and
never appears in an error message, a log line or a harvest error (they are all built here
from the URL and the status, and the token is scrubbed from anything else). Every request,
redirects included, goes through ``netguard``'s address guard and to the address it checked.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from ckanext.daknong.harvest import netguard
from ckanext.daknong.harvest.errors import FetchError
from ckanext.daknong.harvest.messages import N_, Message

__all__ = ["FetchError", "Limits", "get", "scrub"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


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


class _PinnedAdapter(HTTPAdapter):
    """The transport of every harvest request: guard, pin, and keep the token at home.

    ``send`` runs for the first request and for every redirect requests follows, so each one
    is parsed, resolved once and checked by the address guard; the connection pool is then
    opened to exactly the checked address, with the host name kept in the Host header and as
    the TLS server name (certificates are still verified for the host name). The
    Authorization header leaves only for the registered source's origin (scheme, host,
    port): a redirect elsewhere arrives without it (M6).
    """

    def __init__(self, guard: netguard.AddressPolicy, token_origin: Any) -> None:
        super().__init__(max_retries=0)
        self.guard = guard
        self.token_origin = token_origin
        self.targets: dict[int, netguard.Target] = {}

    def send(self, request: Any, **kwargs: Any) -> Any:
        target = self.guard.resolve(request.url)
        if target.origin != self.token_origin:
            request.headers.pop("Authorization", None)
        request.headers["Host"] = target.host_header
        self.targets[id(request)] = target
        try:
            return super().send(request, **kwargs)
        finally:
            self.targets.pop(id(request), None)

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        target = self.targets[id(request)]
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = target.address
        if target.scheme == "https":
            pool_kwargs["server_hostname"] = target.host
            pool_kwargs["assert_hostname"] = target.host
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def _session(guard: netguard.AddressPolicy, token_origin: Any, limits: Limits) -> Any:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the guard decides, not a proxy
    session.max_redirects = limits.max_redirects
    adapter = _PinnedAdapter(guard, token_origin)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get(
    url: str,
    token: str | None = None,
    limits: Limits | None = None,
    token_origin: str | None = None,
) -> bytes:
    """GET ``url`` through the address guard and return its body, or raise FetchError.

    ``token`` goes only to the origin of ``token_origin`` (the registered source's address;
    default ``url`` itself), on the first request as on redirects.
    """
    return get_typed(url, token, limits, token_origin)[0]


def get_typed(
    url: str,
    token: str | None = None,
    limits: Limits | None = None,
    token_origin: str | None = None,
) -> tuple[bytes, str]:
    """Like :func:`get`, with the media type the server declared (``""`` if none)."""
    limits = limits or Limits.from_config()
    deadline = time.monotonic() + limits.deadline
    session = _session(
        netguard.AddressPolicy.from_config(), netguard.origin(token_origin or url), limits
    )
    headers = {"User-Agent": "ckanext-daknong-harvester"}
    if token:
        headers["Authorization"] = token
    try:
        with session.get(url, headers=headers, timeout=limits.timeout, stream=True) as response:
            response.raise_for_status()
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return _read_capped(response, limits, url, deadline), media_type
    # `from None`: requests' exceptions carry the prepared request, headers and all.
    except requests.TooManyRedirects:
        raise FetchError(N_("{url}: too many redirects (redirect loop?)", url=url)) from None
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise FetchError(N_("{url}: HTTP error {status}", url=url, status=status)) from None
    # Refused, unreachable, timed out (connecting or reading): one message, so that a fetch
    # does not tell open ports from closed or filtered ones (M4). The log keeps the kind.
    except (
        requests.Timeout,
        requests.ConnectionError,
        urllib3.exceptions.TimeoutError,
        urllib3.exceptions.ProtocolError,
    ) as error:
        log.info("harvest fetch %s: %s", url, type(error).__name__)
        raise FetchError(N_("{url}: cannot connect", url=url)) from None
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
