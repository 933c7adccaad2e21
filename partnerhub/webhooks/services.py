"""Registering endpoints, writing events (in the caller's transaction: an outbox) and
delivering them: claimed by one worker at a time, signed, retried with exponential backoff for
more than 24 hours; an endpoint failing for 3 days straight is turned off and its admins told."""

import datetime
import http.client
import json
import random
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from itertools import islice
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from partnerhub.tenancy.models import Membership, Role, Tenant

from .models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .signing import signature_header
from .urls_guard import UnsafeUrl, public_addresses

TIMEOUT_SECONDS = 10
GIVE_UP_AFTER = datetime.timedelta(hours=26)  # retried for more than a day
DISABLE_AFTER = datetime.timedelta(days=3)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
EXCERPT_CHARS = 500


class EndpointRefused(ValueError):
    pass


def endpoint_create(
    *, tenant: Tenant, url: str, events: Iterable[str], description: str = "", created_by=None
) -> WebhookEndpoint:
    """Register an endpoint; EndpointRefused names an unknown event or an unsafe URL."""
    events = sorted(set(events))
    unknown = [event for event in events if event not in EventType.values]
    if not events:
        raise EndpointRefused(f"choose at least one event: {', '.join(EventType.values)}")
    if unknown:
        raise EndpointRefused(
            f"unknown event “{unknown[0]}”; events are {', '.join(EventType.values)}"
        )
    try:
        public_addresses(url)
    except UnsafeUrl as unsafe:
        raise EndpointRefused(str(unsafe)) from None
    return WebhookEndpoint.objects.create(
        tenant=tenant,
        url=url,
        events=events,
        description=description,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=created_by,
    )


def event_emit(*, tenant: Tenant | int, type: str, data: dict) -> WebhookEvent | None:
    """Write one event and its deliveries in the current transaction (see events_emit)."""
    endpoints = _endpoints_listening(type)
    if not endpoints:
        return None
    [event] = _events_write(_tenant_id(tenant), type, [data], endpoints)
    transaction.on_commit(_ask_for_delivery, robust=True)
    return event


EVENTS_PER_WRITE = 2_000


def events_emit(*, tenant: Tenant | int, type: str, items: Iterable[dict]) -> int:
    """Write events and their deliveries in the current transaction: they exist only if the
    change that caused them commits. Delivery is asked for once it has. `items` is read only
    when an endpoint listens to `type`, and EVENTS_PER_WRITE at a time: a first placement
    has an item per partner. How many events were written."""
    endpoints = _endpoints_listening(type)
    if not endpoints:
        return 0
    tenant_id, items, written = _tenant_id(tenant), iter(items), 0
    while batch := list(islice(items, EVENTS_PER_WRITE)):
        written += len(_events_write(tenant_id, type, batch, endpoints))
    if written:
        transaction.on_commit(_ask_for_delivery, robust=True)
    return written


def _tenant_id(tenant: Tenant | int) -> int:
    return tenant if isinstance(tenant, int) else tenant.pk


def _endpoints_listening(type: str) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True)
        if type in endpoint.events
    ]


def _events_write(
    tenant_id: int, type: str, items: list[dict], endpoints: list[WebhookEndpoint]
) -> list[WebhookEvent]:
    encoder = DjangoJSONEncoder()
    events = WebhookEvent.objects.bulk_create(
        WebhookEvent(tenant_id=tenant_id, type=type, data=json.loads(encoder.encode(data)))
        for data in items
    )
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(tenant_id=tenant_id, event=event, endpoint=endpoint, next_attempt_at=now)
        for event in events
        for endpoint in endpoints
    )
    return events


def _ask_for_delivery() -> None:
    from .tasks import deliver_due_webhooks

    deliver_due_webhooks.delay()


def deliveries_claim(*, limit: int | None = None) -> list[tuple[int, int]]:
    """Lease due deliveries, of any tenant, to this worker: [(delivery id, tenant id)]. SKIP
    LOCKED: another worker claiming at the same moment gets others, never these. By default
    no more than can be sent, one after the other at the call timeout, within the lease, so a
    lease never runs out under a live worker. Keyed by time, not by tenant, so it is one of
    the few reads across tenants."""
    if limit is None:
        limit = max(1, settings.WEBHOOK_LEASE_SECONDS // (TIMEOUT_SECONDS + 1))
    now = timezone.now()
    with transaction.atomic(), scopes_disabled():
        due = (
            WebhookDelivery.objects.filter(next_attempt_at__lte=now)
            .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING])
            .exclude(leased_until__gt=now)
            .order_by("next_attempt_at", "pk")
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        claimed = list(due.values_list("pk", "tenant_id")[:limit])
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in claimed]).update(
            status=DeliveryStatus.DELIVERING,
            leased_until=now + datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
        )
    return claimed


def delivery_attempt(*, delivery_id: int) -> WebhookAttempt | None:
    """Send one leased delivery and record what happened."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint", "tenant").get(
        pk=delivery_id
    )
    if delivery.status != DeliveryStatus.DELIVERING:
        return None
    event, endpoint = delivery.event, delivery.endpoint
    body = json.dumps(
        {
            "id": str(event.pk),
            "type": event.type,
            "created": int(event.created_at.timestamp()),
            "tenant": delivery.tenant.slug,
            "data": event.data,
        },
        separators=(",", ":"),
    ).encode()
    started = time.monotonic()
    status_code, excerpt, error = None, "", ""
    if not endpoint.active:
        error = "the endpoint is turned off"
    else:
        try:
            status_code, excerpt = _post(endpoint.url, body, endpoint.secret)
        except UnsafeUrl as unsafe:
            error = str(unsafe)[:300]
        except (OSError, http.client.HTTPException) as failure:
            error = (f"{type(failure).__name__}: {failure}")[:300]
    latency = int((time.monotonic() - started) * 1000)
    return _record(delivery, status_code, excerpt, error, latency)


def _post(url: str, body: bytes, secret: str) -> tuple[int, str]:
    host, port, addresses = public_addresses(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection_ = _PinnedHTTPS(host, port, addresses[0], timeout=TIMEOUT_SECONDS)
    else:
        connection_ = _PinnedHTTP(host, port, addresses[0], timeout=TIMEOUT_SECONDS)
    try:
        connection_.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "PartnerHub-Webhooks/1",
                "PartnerHub-Signature": signature_header(secret, body),
            },
        )
        response = connection_.getresponse()
        excerpt = response.read(EXCERPT_CHARS).decode("utf-8", "replace")
        return response.status, excerpt
    finally:
        connection_.close()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says a moment later."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _record(delivery, status_code, excerpt, error, latency) -> WebhookAttempt:
    now = timezone.now()
    succeeded = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            tenant_id=delivery.tenant_id,
            delivery=delivery,
            status_code=status_code,
            latency_ms=latency,
            response_excerpt=excerpt[:EXCERPT_CHARS],
            error=error,
        )
        delivery.attempts += 1
        delivery.leased_until = None
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if succeeded:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        else:
            if now - delivery.event.created_at > GIVE_UP_AFTER:
                delivery.status = DeliveryStatus.GAVE_UP
            else:
                delivery.status = DeliveryStatus.PENDING
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            _note_failure(endpoint, now)
        delivery.save()
    return attempt


def retry_delay(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min, … doubling up to 6 h, with up to 10 % jitter."""
    seconds = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    return datetime.timedelta(seconds=seconds * (1 + random.random() / 10))  # noqa: S311


def _note_failure(endpoint: WebhookEndpoint, now: datetime.datetime) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    if endpoint.active and now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.active = False
        endpoint.disabled_reason = (
            f"Turned off on {now:%Y-%m-%d}: every delivery failed since "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC."
        )
        endpoint.save(update_fields=["active", "disabled_reason"])
        admins = Membership.objects.filter(role=Role.ADMIN).select_related("user")
        emails = [admin.user.email for admin in admins]
        text = f"The webhook endpoint {endpoint.url} was turned off: {endpoint.disabled_reason}"
        transaction.on_commit(
            lambda: send_mail(f"PartnerHub: {text}", text, None, emails), robust=True
        )


def delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """Send again now (a delivered event too: receivers deduplicate by id)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), leased_until=None
    )
    transaction.on_commit(_ask_for_delivery, robust=True)
