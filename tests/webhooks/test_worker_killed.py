"""A delivery always ends, even when its worker is killed in the middle of the call: the lease
runs out, the next tick claims it again and delivers it; the receiver dedupes by id."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_scopes import scope

from partnerhub.webhooks.models import WebhookDelivery
from partnerhub.webhooks.services import endpoint_create, event_emit
from partnerhub.webhooks.tasks import deliver_due_webhooks

from ..conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class HangingReceiver:
    """Holds the first call open until released; answers every later one at once."""

    def __init__(self):
        self.calls: list[bytes] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.calls.append(self.rfile.read(int(self.headers["Content-Length"])))
                if len(receiver.calls) == 1:
                    receiver.release.wait(30)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass  # the caller was killed

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_delivery_whose_worker_was_killed_is_delivered_after_its_lease(
    acme, worker_process, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("WEBHOOK_LEASE_SECONDS", "2")
    receiver = HangingReceiver()
    worker = worker_process()
    with scope(tenant=acme.tenant):
        endpoint_create(tenant=acme.tenant, url=receiver.url, events=["rebates.accrued"])
        event_emit(tenant=acme.tenant, type="rebates.accrued", data={"quarter": "2026-Q3"})
    assert wait_for(lambda: len(receiver.calls) == 1, seconds=30), "the worker never called"

    worker.kill_pool_process()  # in the middle of the call
    receiver.release.set()
    with scope(tenant=acme.tenant):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivering" and delivery.attempts == 0

    time.sleep(2.5)  # the lease runs out
    deliver_due_webhooks.delay()  # beat's next tick

    def delivered():
        delivery.refresh_from_db()
        return delivery.status == "delivered"

    with scope(tenant=acme.tenant):
        assert wait_for(delivered, seconds=30), "the delivery never ended"
        assert delivery.attempts == 1  # the killed call recorded nothing
    ids = {json.loads(body)["id"] for body in receiver.calls}
    assert len(receiver.calls) == 2 and len(ids) == 1, "sent again, under the same id"
    receiver.server.shutdown()
