"""The network boundary: which hosts, and which of their addresses, may be reached.

A host must be on the allow-list (a name, ``*.suffix``, an address or a
network). Every address a name resolves to must be global: loopback, private,
link-local, cloud-metadata and other special addresses are refused unless the
allow-list names that address or a network holding it. The address checked is
the address returned, and the caller connects to it (no second lookup, so a
name cannot resolve to a public address for the check and a private one for
the connection).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from registry.remote.errors import RefusedError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolve(host, port) -> [address, ...]``; tests pass their own.
Resolve = Callable[[str, int], list[str]]

# Instance-metadata services of the big clouds. Most are link-local already;
# they are named so that the refusal says what the address is.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


@dataclass(frozen=True, slots=True)
class AllowList:
    """Allowed host names (``*.example.com`` for a suffix) and networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Build from entries: ``models.example.com``, ``10.0.0.7``, ``10.0.0.0/8``.

        Raises ``ValueError`` naming an entry that is none of these.
        """
        names: set[str] = set()
        networks: list[Network] = []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not _name_like(entry):
                    raise ValueError(f"not a host name or address: {raw!r}") from None
                names.add(entry.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def names_host(self, host: str) -> bool:
        """True when ``host`` (a name or an address literal) is on the list."""
        literal = address_of(host)
        if literal is not None:
            return self.holds(literal)
        name = host.lower().rstrip(".")
        if name in self.names:
            return True
        return any(n.startswith("*.") and name.endswith(n[1:]) for n in self.names)

    def holds(self, address: Address) -> bool:
        """True when an allow-listed address or network holds ``address``."""
        return any(address.version == n.version and address in n for n in self.networks)


def _name_like(entry: str) -> bool:
    label = entry.removeprefix("*.").rstrip(".")
    return bool(label) and all(
        part and all(c.isalnum() or c == "-" for c in part) for part in label.split(".")
    )


def address_of(host: str) -> Address | None:
    """The address a literal host stands for (``[::1]`` included), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_class(address: Address) -> str | None:
    """What makes ``address`` internal (``"loopback"``, ...), or None if global."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        (address in METADATA, "cloud metadata"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_unspecified, "unspecified"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-global"),
    )
    return next((name for hit, name in checks if hit), None)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def pin(host: str, port: int, allow: AllowList, resolve: Resolve) -> str:
    """Check ``host`` and return the one address to connect to.

    Raises
    ------
    RefusedError
        When the host is not allow-listed, does not resolve, or resolves to an
        internal address that the allow-list does not name.
    """
    if not allow.names_host(host):
        raise RefusedError(
            f"host {host!r} is not on the allow-list (CATENA_HTTP_ALLOWED_HOSTS or "
            "the allowed hosts admin page)",
            host=host,
        )
    literal = address_of(host)
    addresses = [literal] if literal is not None else _resolved(host, port, resolve)
    for address in addresses:
        kind = address_class(address)
        if kind is not None and not allow.holds(address):
            where = "is" if literal is not None else "resolves to"
            raise RefusedError(
                f"host {host!r} {where} {address}, a {kind} address; such "
                "addresses are refused unless the allow-list names the address "
                "or its network",
                host=host,
                address=str(address),
            )
    return str(addresses[0])


def _resolved(host: str, port: int, resolve: Resolve) -> list[Address]:
    try:
        found = resolve(host, port)
    except OSError as exc:
        raise RefusedError(
            f"host {host!r} does not resolve: {exc}", host=host
        ) from None
    addresses = [a for a in (address_of(str(f).split("%")[0]) for f in found) if a]
    if not addresses:
        raise RefusedError(f"host {host!r} resolves to no address", host=host)
    return addresses
