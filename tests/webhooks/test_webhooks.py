"""Webhooks: endpoints refuse unsafe URLs; events are an outbox written with their change;
deliveries are signed, retried with backoff, never sent by two workers at once, and an
endpoint failing for three days is turned off. Deliveries go to a real receiver on 127.0.0.1."""

import datetime
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope

from partnerhub.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from partnerhub.webhooks.services import (
    EndpointRefused,
    deliveries_claim,
    endpoint_create,
    event_emit,
)
from partnerhub.webhooks.signing import signature_header, signature_is_valid
from partnerhub.webhooks.tasks import deliver_due_webhooks

NOW = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from `statuses`."""

    def __init__(self):
        self.calls: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/partnerhub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    found = Receiver()
    yield found
    found.stop()


def register(world, url, events=("rebates.accrued",)):
    with scope(tenant=world.tenant):
        return endpoint_create(tenant=world.tenant, url=url, events=events)


def emit(world, data=None):
    with scope(tenant=world.tenant):
        return event_emit(
            tenant=world.tenant, type="rebates.accrued", data=data or {"quarter": "2026-Q3"}
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "must start with https://"),
        ("https://127.0.0.1/hook", "resolves to 127.0.0.1, a loopback, private"),
        ("https://localhost/hook", "a loopback, private, link-local or reserved address"),
        ("https://10.1.2.3/hook", "resolves to 10.1.2.3"),
        ("https://169.254.169.254/latest/meta-data", "resolves to 169.254.169.254"),
        ("https://[::1]/hook", "resolves to ::1"),
        ("https://user:pw@93.184.215.14/hook", "may not carry a user name"),
    ],
)
def test_unsafe_urls_are_refused_at_registration(acme, url, message):
    with pytest.raises(EndpointRefused, match=re.escape(message)):
        register(acme, url)


def test_unknown_events_are_refused_and_the_command_prints_the_secret_once(acme, settings):
    with pytest.raises(EndpointRefused, match=re.escape("unknown event “placement.changd”")):
        register(acme, "https://93.184.215.14/hook", events=["placement.changd"])
    settings.WEBHOOK_ALLOW_PRIVATE = True
    out = StringIO()
    call_command(
        "add_webhook", "--tenant", "acme", "--url", "http://127.0.0.1:9/hook",
        "--events", "placement.changed,partner.at_risk", stdout=out,
    )  # fmt: skip
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert out.getvalue().strip() == endpoint.secret
    assert endpoint.events == ["partner.at_risk", "placement.changed"]
    with pytest.raises(CommandError, match="unknown event"):
        call_command(
            "add_webhook", "--tenant", "acme", "--url", "http://127.0.0.1:9/", "--events", "x"
        )


def test_an_event_exists_only_if_its_change_commits(acme, receiver):
    register(acme, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(acme)
        raise RuntimeError("the change failed")
    with scope(tenant=acme.tenant):
        assert WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0
    emit(acme)
    with scope(tenant=acme.tenant):
        assert WebhookDelivery.objects.get().status == "pending"


def test_a_delivery_is_signed_and_carries_the_event(acme, globex, receiver, settings):
    endpoint = register(acme, receiver.url)
    register(globex, receiver.url)  # Globex listens too, but this is Acme's event
    event = emit(acme, {"quarter": "2026-Q3", "total": "1234.50"})
    assert deliver_due_webhooks() == 1
    [call] = receiver.calls
    body = json.loads(call["body"])
    assert body == {
        "id": str(event.pk),
        "type": "rebates.accrued",
        "created": int(event.created_at.timestamp()),
        "tenant": "acme",
        "data": {"quarter": "2026-Q3", "total": "1234.50"},
    }
    header = call["headers"]["PartnerHub-Signature"]
    assert signature_is_valid(endpoint.secret, call["body"], header)
    assert not signature_is_valid(endpoint.secret, call["body"] + b" ", header)
    assert not signature_is_valid("whsec_other", call["body"], header)
    with scope(tenant=acme.tenant):
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
        [attempt] = delivery.log.all()
        assert (attempt.status_code, attempt.response_excerpt) == (200, "ok")


def test_signatures_expire_after_five_minutes():
    body = b'{"id": "x"}'
    header = signature_header("whsec_s", body, at=1_000_000)
    assert signature_is_valid("whsec_s", body, header, now=1_000_299)
    assert not signature_is_valid("whsec_s", body, header, now=1_000_301)
    assert not signature_is_valid("whsec_s", body, "v1=deadbeef", now=1_000_000)


def test_a_failed_delivery_is_retried_with_backoff_then_delivered(acme, receiver, time_machine):
    time_machine.move_to(NOW)
    register(acme, receiver.url)
    receiver.statuses = [500, 503]
    emit(acme)
    deliver_due_webhooks()
    with scope(tenant=acme.tenant):
        delivery = WebhookDelivery.objects.get()
        first_wait = delivery.next_attempt_at - delivery.log.get().at
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert datetime.timedelta(seconds=30) <= first_wait <= datetime.timedelta(seconds=34)
    assert deliver_due_webhooks() == 0, "not due yet"
    time_machine.shift(datetime.timedelta(seconds=35))
    deliver_due_webhooks()
    with scope(tenant=acme.tenant):
        delivery.refresh_from_db()
        second_wait = delivery.next_attempt_at - delivery.log.first().at
    assert datetime.timedelta(seconds=60) <= second_wait <= datetime.timedelta(seconds=67)
    time_machine.shift(datetime.timedelta(seconds=70))
    deliver_due_webhooks()
    with scope(tenant=acme.tenant):
        delivery.refresh_from_db()
        codes = [a.status_code for a in delivery.log.order_by("at", "pk")]
    assert (delivery.status, codes) == ("delivered", [500, 503, 200])
    assert len(receiver.calls) == 3
    assert len({json.loads(c["body"])["id"] for c in receiver.calls}) == 1, "one id to dedupe"


def test_an_endpoint_failing_for_three_days_is_turned_off_and_admins_told(
    acme, receiver, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NOW)
    register(acme, receiver.url)
    receiver.statuses = [500] * 1000
    for day in range(4):
        emit(acme, {"day": day})
        with django_capture_on_commit_callbacks(execute=True):
            deliver_due_webhooks()
        time_machine.shift(datetime.timedelta(days=1, minutes=1))
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpoint.objects.get()
        statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert not endpoint.active and "every delivery failed since" in endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    assert "was turned off" in mail.outbox[0].subject
    assert "gave_up" in statuses, "an event over 26 hours old is given up"


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_delivery(acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    register(acme, "http://127.0.0.1:9/hook")
    with scope(tenant=acme.tenant):
        for n in range(40):
            event_emit(tenant=acme.tenant, type="rebates.accrued", data={"n": n})
        # each commit asked for a delivery at once (nobody listens on port 9): make all due again
        WebhookDelivery.objects.update(status="pending", next_attempt_at=timezone.now())
    start = threading.Barrier(2)
    claimed: list[list] = []

    def worker():
        start.wait()
        claimed.append(deliveries_claim(limit=30))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = ({pk for pk, _ in found} for found in claimed)
    assert not first & second
    assert len(first | second) == 40


def test_a_worker_never_claims_more_than_it_can_send_within_its_lease(acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    register(acme, "http://127.0.0.1:9/hook")
    with scope(tenant=acme.tenant):
        for n in range(12):
            event_emit(tenant=acme.tenant, type="rebates.accrued", data={"n": n})
    settings.WEBHOOK_LEASE_SECONDS = 60  # calls time out after 10 s: 5 fit in a lease
    assert len(deliveries_claim()) == 5
