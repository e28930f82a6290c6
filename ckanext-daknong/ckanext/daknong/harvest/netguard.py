"""Which addresses the agency self-check may fetch when an agency user types the URL.

An editor of any agency can make the portal fetch an address of their choosing (SSRF): the
portal's own services on loopback, the cloud metadata service on 169.254.169.254, the
province's internal network. A typed URL must be http or https, and every address its host
name resolves to must be public unless it lies in
``ckanext.daknong.harvest.selfcheck_allowed_networks``. The same rule applies to every
redirect and every further page (DCAT paging), and to the address the connection really
reached (a host name that resolves differently the second time gains nothing). The agency's
registered source addresses, set by a sysadmin, are not restricted.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk

from ckanext.daknong.harvest.fetch import FetchError
from ckanext.daknong.harvest.messages import N_

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(FetchError):
    """The self-check refuses to fetch this address; the message is bilingual."""


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls) -> AddressPolicy:
        networks = []
        for value in tk.aslist(tk.config.get("ckanext.daknong.harvest.selfcheck_allowed_networks")):
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                log.warning("selfcheck_allowed_networks: %r is not a network, ignored", value)
        return cls(tuple(networks))

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme is not http(s) or whose host has a non-public address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeAddress(N_("{url}: only http and https addresses can be checked", url=url))
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError, UnicodeError):
            raise UnsafeAddress(N_("{url}: the host name cannot be resolved", url=url)) from None
        for *_, sockaddr in found:
            self.check_address(str(sockaddr[0]), url)

    def check_address(self, address: str | None, url: str) -> None:
        if address is None:
            raise UnsafeAddress(
                N_("{url}: cannot verify the address the portal connected to", url=url)
            )
        ip = _plain(ipaddress.ip_address(address.split("%", 1)[0]))
        if ip.is_global or any(ip in network for network in self.allowed):
            return
        raise UnsafeAddress(
            N_(
                "{url}: {address} is a loopback, link-local or private address; the portal "
                "does not fetch it for a self-check",
                url=url,
                address=str(ip),
            )
        )


def _plain(ip: Address) -> Address:
    """An IPv4 address hidden in IPv6 (::ffff:127.0.0.1) is judged as IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
