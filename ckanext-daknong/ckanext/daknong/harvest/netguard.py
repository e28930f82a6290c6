"""The one address guard of the harvest: which addresses the portal may fetch, and how.

Every fetch of the harvest (the self-check with a typed or a registered address, the
scheduler's jobs, the three harvesters' gather, DCAT paging, every redirect) goes through
``fetch.get``, whose transport asks this guard for every request it sends. Without it anyone
who can name a URL makes the portal fetch its own services (Solr on loopback answered with
every agency's restricted titles, C2), the cloud metadata service on 169.254.169.254 or the
province's internal network (SSRF).

The rules, for registered sources as for typed addresses:

- The URL is parsed exactly as the HTTP client sends it (``requests`` prepares it, IDNA
  included, and ``urllib3.util.parse_url`` reads it, as the client's transport does), so
  ``http://127.0.0.1:PORT\\@example.org/`` is judged by the host the client would really
  contact (M4). User names, passwords and backslashes in the address are refused outright.
- Only http and https.
- The host name is resolved once; every address it resolves to must be public (IPv4 forms
  such as ``2130706433`` or ``0177.0.0.1`` are resolved as the system resolves them, and
  IPv4 hidden in IPv6 is judged as IPv4) unless it lies in a network of
  ``ckanext.daknong.harvest.allowed_networks``.
- The connection goes to exactly the address that was checked (``fetch``'s transport pins it;
  the Host header and the TLS server name stay the host name), so a name that resolves
  differently the second time (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass

import ckan.plugins.toolkit as tk
import requests
from urllib3.util import parse_url

from ckanext.daknong.harvest.errors import UnsafeAddress
from ckanext.daknong.harvest.messages import N_

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

OPTION = "ckanext.daknong.harvest.allowed_networks"
# Read as well, with a warning: its name said "self-check" when only the self-check used it.
OLD_OPTION = "ckanext.daknong.harvest.selfcheck_allowed_networks"
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """Where a request really goes: the URL's scheme, host and port, and the checked address."""

    scheme: str
    host: str  # as in the URL, IDNA-encoded, IPv6 without brackets
    port: int
    address: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


def prepared_url(url: str) -> str:
    """The URL as requests will send it (IDNA host, quoted path); ValueError if it cannot."""
    request = requests.PreparedRequest()
    try:
        request.prepare_url(url, None)
    except requests.RequestException as error:
        raise ValueError(str(error)) from None
    return str(request.url)


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, parsed as the client parses it; None if unusable."""
    try:
        parts = parse_url(prepared_url(url))
    except ValueError:
        return None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not parts.host:
        return None
    host = parts.host.strip("[]").split("%", 1)[0].lower().rstrip(".")
    return (scheme, host, parts.port or DEFAULT_PORTS[scheme])


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls) -> AddressPolicy:
        networks = []
        values = tk.aslist(tk.config.get(OPTION))
        old = tk.aslist(tk.config.get(OLD_OPTION))
        if old:
            log.warning("%s is deprecated: set %s instead", OLD_OPTION, OPTION)
        for value in [*values, *old]:
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                log.warning("%s: %r is not a network, ignored", OPTION, value)
        return cls(tuple(networks))

    def resolve(self, url: str) -> Target:
        """Parse as the client does, resolve once, check every address; the one to connect to."""
        scheme, host, port = self._parse(url)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise UnsafeAddress(N_("{url}: the host name cannot be resolved", url=url)) from None
        addresses = [str(sockaddr[0]).split("%", 1)[0] for *_, sockaddr in found]
        if not addresses:
            raise UnsafeAddress(N_("{url}: the host name cannot be resolved", url=url))
        for address in addresses:
            self.check_address(address, url)
        return Target(scheme, host, port, addresses[0])

    def check_url(self, url: str, resolve: bool = True) -> None:
        """Refuse a URL the harvest would not fetch. ``resolve=False`` (registering a source
        whose host may not resolve yet): the form and a literal address only."""
        if resolve:
            self.resolve(url)
            return
        _, host, _ = self._parse(url)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return
        self.check_address(host, url)

    def _parse(self, url: str) -> tuple[str, str, int]:
        raw = str(url)
        try:
            parts = parse_url(prepared_url(raw))
        except ValueError:
            parts = None
        scheme = (parts.scheme or "").lower() if parts else ""
        if parts is None or scheme not in DEFAULT_PORTS or not parts.host:
            raise UnsafeAddress(N_("{url}: only http and https addresses can be checked", url=url))
        if parts.auth is not None or "\\" in raw:
            raise UnsafeAddress(
                N_(
                    "{url}: addresses with a user name, a password or a backslash are not "
                    "fetched",
                    url=url,
                )
            )
        found = origin(raw)
        if found is None:
            raise UnsafeAddress(N_("{url}: only http and https addresses can be checked", url=url))
        return found

    def check_address(self, address: str | None, url: str) -> None:
        if address is None:
            raise UnsafeAddress(
                N_("{url}: cannot verify the address the portal connected to", url=url)
            )
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if all(self._allowed(candidate) for candidate in _judged(ip)):
            return
        raise UnsafeAddress(
            N_(
                "{url}: {address} is a loopback, link-local or private address; the portal "
                "does not fetch it",
                url=url,
                address=str(_plain(ip)),
            )
        )

    def _allowed(self, ip: Address) -> bool:
        if any(ip in network for network in self.allowed):
            return True
        return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _plain(ip: Address) -> Address:
    """An IPv4 address hidden in IPv6 (::ffff:127.0.0.1) is named as IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _judged(ip: Address) -> list[Address]:
    """The address and every IPv4 address it carries (mapped, 6to4, Teredo, NAT64,
    IPv4-compatible): each must be allowed, so ``64:ff9b::7f00:1`` is loopback too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return [ip]
    found: list[Address] = [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    packed = int(ip)
    if ip in NAT64 or (packed >> 32 == 0 and packed > 1):
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    return found
