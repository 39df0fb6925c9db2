"""Which addresses a URL fetch may connect to, enforced at the moment of connecting.

Checking a host's addresses and then letting the HTTP client resolve the name again leaves a
gap: a name can resolve to a public address for the check and to ``127.0.0.1`` a moment
later for the connection (DNS rebinding).  So the name is resolved exactly once per
connection, inside the connection itself: :class:`GuardedTransport` hands httpx a network
backend that resolves, refuses every non-public address, and opens the TCP connection to an
address it has just vetted.  The request keeps the name: ``Host`` and TLS (SNI and the
certificate check) are for the host in the URL, not for the IP.  Every redirect hop is a new
request through the same transport, so it is vetted the same way.

"Public" is stricter than :attr:`ipaddress.IPv6Address.is_global`: IPv6 forms that carry an
IPv4 address (IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) are public only when that IPv4 address is,
and the local-use NAT64 prefix ``64:ff9b:1::/48`` never is.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from newsqa.errors import LoadError, NewsqaError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class RefusedAddress(NewsqaError):
    """A host resolved to an address that a fetch may not reach."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (translations and tunnels)."""
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64 or ip in _V4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [v4 for v4 in found if v4 is not None]


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public address, under every IPv4 address it embeds too."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = _embedded_v4(ip)
        if embedded:
            return all(v4.is_global for v4 in embedded)
    return ip.is_global


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses of ``host`` to connect to, in resolver order; raises RefusedAddress
    when any is not public (a name with one private address is not trusted with the rest)
    unless ``allow_private``."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as err:
        raise RefusedAddress(f"cannot resolve host {host!r} ({err})") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address)):
                raise RefusedAddress(f"refusing to fetch {host} ({address}): not a public "
                                     "address (set NEWSQA_ALLOW_PRIVATE_URLS=true to allow)")
    return addresses


def check_url(url: str, allow_private: bool) -> None:
    """Raise a LoadError naming why ``url`` may not be fetched: not http(s), no host, or a
    host with a non-public address (unless ``allow_private``).

    A caller that wants to refuse a URL up front (before starting a job) runs it; the fetch
    itself is guarded at connection time by :class:`GuardedTransport`.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise LoadError(url, f"only http and https URLs can be fetched, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise LoadError(url, "URL has no host")
    if allow_private:
        return
    try:
        resolve(host, parts.port or 443, allow_private)
    except RefusedAddress as err:
        raise LoadError(url, str(err)) from None


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses :func:`resolve` vetted."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None
                    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in resolve(host, port, self.allow_private):
            try:  # an IP literal: the socket layer resolves nothing more
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                error = err
        raise error or httpcore.ConnectError(f"no address for {host}")


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go only to vetted addresses (module docstring).

    Proxies from the environment are not used: through a proxy the address connected to
    would be the proxy's, and the guard could not see where the request really goes.
    """

    def __init__(self, allow_private: bool) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context)
        # httpx takes no network backend; its pool is rebuilt with ours, same TLS settings.
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context,
                                             network_backend=_GuardedBackend(allow_private))
