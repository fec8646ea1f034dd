"""Where a webhook may be sent: only to public addresses (no server-side request forgery).

A subscription's URL is refused (400 naming ``url``) when its host resolves to a private,
loopback, link-local, multicast or otherwise non-public address, and checked again each time a
delivery is sent: a name that was public when subscribed may point inside the network later
(DNS rebinding). The delivery then connects to the very address that was checked, not to
whatever a second lookup would give. Hosts named in ``FOOTPRINT_WEBHOOK_ALLOWED_HOSTS``
(``integrations.conf``) are let through on purpose.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from . import conf


class RefusedAddress(Exception):
    """The receiver's address may not be sent to; the message says why, for the person."""


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (not address.is_global or address.is_multicast or address.is_private or address.is_loopback
            or address.is_link_local or address.is_reserved or address.is_unspecified)


def checked_address(url: str) -> str:
    """The IP address to connect to for ``url``: its host's first address, when every address
    it resolves to is public (or the host is allow-listed). ``RefusedAddress`` otherwise."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedAddress("Enter an address with a host name, like https://example.org/footprint.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise RefusedAddress(f"{host} could not be found: check the receiver's address.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found]
    if not addresses:
        raise RefusedAddress(f"{host} could not be found: check the receiver's address.")
    allowed = conf.webhook_allowed_hosts()
    if host not in allowed and any(_not_public(address) for address in addresses):
        raise RefusedAddress(f"{host} is a private, loopback, link-local or multicast address: webhooks go only "
                             "to receivers on the public internet (or hosts named in "
                             "FOOTPRINT_WEBHOOK_ALLOWED_HOSTS).")
    return str(addresses[0])
