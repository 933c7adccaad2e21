"""No server-side request forgery: a webhook URL must resolve only to public addresses, checked
when it is registered and again at every delivery, which then connects to the address checked
(so a DNS answer cannot change between the check and the call)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(ValueError):
    pass


def public_addresses(url: str) -> tuple[str, int, list[str]]:
    """(host, port, addresses) of `url`, or UnsafeUrl saying why it may not be called."""
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_private):
        raise UnsafeUrl("a webhook URL must start with https://")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL may not carry a user name or password")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"{parts.hostname} does not resolve") from None
    addresses = sorted({info[4][0] for info in found})
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise UnsafeUrl(
                    f"{parts.hostname} resolves to {address}, a loopback, private, link-local or "
                    "reserved address: webhooks are sent to public addresses only"
                )
    return parts.hostname, port, addresses
