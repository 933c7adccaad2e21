"""`PartnerHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature_header(secret: str, body: bytes, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def signature_is_valid(secret: str, body: bytes, header: str, now: int | None = None) -> bool:
    """What a receiver does: a fresh timestamp and a matching digest, compared in constant time."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(fields["t"])
    except (KeyError, ValueError):
        return False
    now = int(time.time()) if now is None else now
    if abs(now - at) > TOLERANCE_SECONDS:
        return False
    expected = signature_header(secret, body, at).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
