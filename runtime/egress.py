"""Which addresses a server-side script may connect to, checked after resolution.

On the server (``isoplay serve``) a name in a script's ``[fetch] allow`` list may
resolve to this machine or its network. ``EgressPolicy`` judges an address;
``GuardedResolver`` is the resolver of a guarded fetch client's aiohttp connector
(no DNS cache): it resolves every host a new connection goes to (each redirect
hop too), checks every address with ``EgressPolicy.refusal`` after resolution and
answers only the allowed ones, which aiohttp connects to, so a DNS answer cannot
change between check and connect (no rebinding window). ``GuardedSockets``, the
connector's socket factory, checks every address connected to once more, IP
literals included (aiohttp does not resolve those, and refuses the legacy numeric
forms such as ``127.1`` as invalid URLs). The Host header and the TLS server name
(SNI, certificate check) stay the name. Outbound WebSockets take the same check
through ``runtime.fetch.connect_address``.

Refused: loopback, unspecified (``0.0.0.0/8``, ``::``),
link-local (``169.254.0.0/16``: cloud metadata, ``fe80::/10``), multicast and
reserved addresses, and the private ranges (``10/8``, ``172.16/12``,
``192.168/16``, ``100.64/10``, ``fc00::/7``) unless the operator allows them
(``isoplay serve --fetch-allow-private``); IPv4 addresses inside IPv6 (mapped
``::ffff:a.b.c.d``, compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``) are judged as the IPv4 address they carry. The script's
TypeError names the rule. ``isoplay dev`` and ``run`` do not guard: a project
there may reach ``127.0.0.1:PORT`` when its manifest lists it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp.abc import ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NET = ipaddress.ip_network
_ALWAYS_REFUSED: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("loopback", (_NET("127.0.0.0/8"), _NET("::1/128"))),
    ("unspecified", (_NET("0.0.0.0/8"), _NET("::/128"))),
    ("link-local", (_NET("169.254.0.0/16"), _NET("fe80::/10"))),
    ("multicast", (_NET("224.0.0.0/4"), _NET("ff00::/8"))),
    ("reserved", (_NET("240.0.0.0/4"), _NET("192.0.0.0/24"), _NET("198.18.0.0/15"))),
)
_PRIVATE = ("private", (_NET("10.0.0.0/8"), _NET("172.16.0.0/12"), _NET("192.168.0.0/16"), _NET("100.64.0.0/10"),
                        _NET("fc00::/7")))
_NAT64 = _NET("64:ff9b::/96")
_COMPATIBLE = _NET("::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class EgressPolicy:
    """Which resolved addresses a server-side script may connect to."""

    allow_private: bool = False
    """The operator lets scripts reach 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7."""
    allow_loopback: bool = False
    """The operator lets scripts reach this machine (127/8, ::1): ``isoplay serve --fetch-allow-loopback``,
    for a server tried out against local services. Off by default."""

    def refusal(self, address: str) -> str | None:
        """The rule that refuses ``address`` (e.g. ``"loopback (127.0.0.0/8)"``), or None."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return "unparsable address"
        candidates: list[IPAddress] = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        rules = _ALWAYS_REFUSED if self.allow_private else (*_ALWAYS_REFUSED, _PRIVATE)
        if self.allow_loopback:
            rules = tuple(rule for rule in rules if rule[0] != "loopback")
        for candidate in candidates:
            for name, nets in rules:
                for net in nets:
                    if candidate.version == net.version and candidate in net:
                        return f"{name} ({net})"
        return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class EgressRefused(Exception):
    """A resolved address is not allowed for server-side scripts (the message names the rule)."""


class ResolveFailed(Exception):
    """A guarded host did not resolve (``cannot resolve <name>: <reason>``)."""


def _refused(policy: EgressPolicy, name: str, address: str, rule: str) -> EgressRefused:
    """The EgressRefused for ``name`` (as written in the URL) whose address ``address`` breaks ``rule``."""
    shown = f"[{name}]" if ":" in name else name
    said = f"{shown} is" if _is_literal(name) and address == name else f"{shown} resolves to {address},"
    private = "" if policy.allow_private else "; private ranges need isoplay serve --fetch-allow-private"
    return EgressRefused(f"{said} a {rule} address, and scripts on this server may not connect to "
                         f"{rule.split(' (')[0]} addresses{private if rule.startswith('private') else ''}")


class GuardedResolver:
    """Resolves a host and answers only the addresses ``policy`` allows (EgressRefused when none is).

    Implements ``aiohttp.abc.AbstractResolver`` (``resolve``, ``close``), registered as its virtual
    subclass when the first session is made: subclassing it here would import aiohttp (~120 ms)
    wherever the ops load, fetching or not.

    The resolver of a guarded ``FetchClient``'s connector (its DNS cache off): aiohttp connects to
    the addresses this answers, so the address connected to is the one checked, and the name stays
    for the Host header and the TLS server name. IP literals skip a connector's resolver; the
    client's socket factory (``GuardedSockets``) checks them, and every address again.
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    async def checked_addresses(self, host: str, port: int,
                                family: int = socket.AF_UNSPEC) -> list[tuple[int, str, int]]:
        """Every (family, address, proto) of ``host`` the policy allows, in resolver order.

        Raises:
            EgressRefused: every address is refused (the first one's rule is named).
            ResolveFailed: the name does not resolve.
        """
        name = host.strip("[]")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(name, port, family=family, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ResolveFailed(f"cannot resolve {name}: {exc.strerror}") from None
        allowed: list[tuple[int, str, int]] = []
        first: tuple[str, str] | None = None
        for info_family, _type, proto, _canon, sockaddr in infos:
            address = str(sockaddr[0])
            rule = self.policy.refusal(address)
            if rule is None:
                allowed.append((int(info_family), address, proto))
            else:
                first = first or (address, rule)
        if allowed:
            return allowed
        if first is None:
            raise ResolveFailed(f"cannot resolve {name}: no address")
        raise _refused(self.policy, name, *first)

    async def checked_address(self, host: str, port: int) -> str:
        """The first address of ``host`` the policy allows; EgressRefused when none is."""
        return (await self.checked_addresses(host, port))[0][1]

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """aiohttp's resolver interface: the allowed addresses of ``host``."""
        return [{"hostname": host, "host": address, "port": port, "family": found, "proto": proto,
                 "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV}
                for found, address, proto in await self.checked_addresses(host, port, family)]

    async def close(self) -> None:
        """Nothing to release (resolution runs on the loop's getaddrinfo)."""


class GuardedSockets:
    """The socket factory of a guarded connector: refuses an address the policy refuses.

    Every address aiohttp connects to passes here; IP literals in URLs reach it without the
    resolver (aiohttp does not resolve them), names after it (a second, redundant check).
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, type_, proto, _canon, sockaddr = addr_info
        address = str(sockaddr[0])
        rule = self.policy.refusal(address)
        if rule is not None:
            raise _refused(self.policy, address, address, rule)
        return socket.socket(family=family, type=type_, proto=proto)
