"""Making, finding and revoking API keys. A key reads `ph_<prefix>_<secret>`: the prefix finds
its row, and the SHA-256 of the whole key must match the stored hash."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone
from django_scopes import scopes_disabled

from partnerhub.tenancy.models import Tenant

from .models import ApiKey, ApiKeyScope

LAST_USED_EVERY_SECONDS = 60  # last_used_at is written at most this often per key


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    secret: str  # the whole key: shown once, never stored


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, tenant: Tenant, name: str, scope: str, created_by=None) -> NewKey:
    if scope not in ApiKeyScope.values:
        raise ValueError(f"scope must be read or write (got “{scope}”)")
    if not name.strip():
        raise ValueError("give the key a name that says what uses it (for example “CRM sync”)")
    prefix = secrets.token_hex(6)
    key = f"ph_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip()[:100],
        prefix=prefix,
        key_hash=_hash(key),
        scope=scope,
        created_by=created_by,
    )
    return NewKey(api_key, key)


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_for(key: str) -> ApiKey | None:
    """The live key `key` is, or None. Keyed by the secret itself, so it may look across
    tenants: the key's tenant becomes the scope of everything the call does."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "ph":
        return None
    with scopes_disabled():
        found = (
            ApiKey.objects.select_related("tenant")
            .filter(prefix=parts[1], revoked_at__isnull=True)
            .first()
        )
    if found is None or not hmac.compare_digest(found.key_hash, _hash(key)):
        return None
    now = timezone.now()
    if (
        found.last_used_at is None
        or (now - found.last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS
    ):
        with scopes_disabled():
            ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
    return found
