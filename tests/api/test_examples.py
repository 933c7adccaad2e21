"""The examples in examples/ work: the CRM sync against a live server, and the receiver's
signature check against what PartnerHub sends."""

import importlib.util
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from django_scopes import scope

from partnerhub.webhooks.signing import signature_header
from tiers.programs import program_load

from ..metrics.conftest import add_metrics, stored_values
from ..tiers.conftest import PROGRAM
from .conftest import key_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_crm_sync_example_upserts_partners_and_revenue(acme, live_server, settings):
    settings.API_HTTPS_ONLY = False  # the live test server speaks plain HTTP
    add_metrics(acme)
    with scope(tenant=acme.tenant):
        program_load(tenant=acme.tenant, data=PROGRAM)
    crm_sync = load("crm_sync")
    options = {"base": live_server.url, "key": key_for(acme), "program": "resell"}
    first = crm_sync.sync(str(EXAMPLES / "crm_export.csv"), **options)
    assert first == {"partners": 3, "inserted": 5, "updated": 0, "unchanged": 0}
    assert stored_values(acme)[("P-104", "revenue", "2026-09")] == "230000.0000"
    again = crm_sync.sync(str(EXAMPLES / "crm_export.csv"), **options)
    assert again == first, "the same file again is an idempotent replay"


def test_the_receiver_example_accepts_our_signature_and_nothing_else():
    receiver = load("webhook_receiver")
    body = b'{"id":"e1","type":"placement.changed"}'
    header = signature_header("whsec_x", body)
    assert receiver.verify("whsec_x", body, header)
    assert not receiver.verify("whsec_x", body + b"!", header)
    assert not receiver.verify("whsec_y", body, header)
    handled = []
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), receiver.make_handler("whsec_x", set(), handled.append)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        for signature in (header, header, "t=1,v1=forged"):
            request = urllib.request.Request(
                url, data=body, headers={"PartnerHub-Signature": signature}
            )
            try:
                status = urllib.request.urlopen(request).status  # noqa: S310
            except urllib.error.HTTPError as refused:
                status = refused.code
            handled.append(status)
    finally:
        server.shutdown()
    event = {"id": "e1", "type": "placement.changed"}
    assert handled == [event, 204, 204, 401], (
        "handled once; redelivery acknowledged; forgery refused"
    )
