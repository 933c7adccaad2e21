"""Integrations in the browser, for admins: API keys shown once, listed with their last use,
revoked; webhook endpoints registered (secret shown once), turned off, their log, redelivery."""

import re

from django_scopes import scope

from partnerhub.api.models import ApiKey
from partnerhub.webhooks.models import WebhookDelivery, WebhookEndpoint
from partnerhub.webhooks.services import event_emit

from ..api.conftest import ApiClient


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(acme):
    admin = acme.client_for(acme.admin)
    page = admin.post("/o/acme/integrations/keys/", {"name": "CRM sync", "scope": "write"})
    key = re.search(r"<code>(ph_[0-9a-f]+_[\w-]+)</code>", page.content.decode())[1]
    assert ApiClient(key).get("/api/v1/partners/").status_code == 200
    listing = admin.get("/o/acme/integrations/").content.decode()
    assert key not in listing and "CRM sync" in listing
    with scope(tenant=acme.tenant):
        api_key = ApiKey.objects.get()
    assert api_key.last_used_at is not None
    admin.post(f"/o/acme/integrations/keys/{api_key.pk}/revoke/")
    assert ApiClient(key).get("/api/v1/partners/").status_code == 401


def test_managers_and_partner_users_have_no_integrations_page(acme):
    for membership in (acme.manager, acme.partner_user):
        assert acme.client_for(membership).get("/o/acme/integrations/").status_code == 403


def test_an_admin_registers_an_endpoint_and_reads_its_delivery_log(acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    admin = acme.client_for(acme.admin)
    refused = admin.post(
        "/o/acme/integrations/webhooks/", {"url": "ftp://x.test/", "events": ["import.finished"]}
    )
    assert "a webhook URL must start with https://" in refused.content.decode()
    page = admin.post(
        "/o/acme/integrations/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["rebates.accrued"]},
    ).content.decode()
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpoint.objects.get()
        event_emit(tenant=acme.tenant, type="rebates.accrued", data={"quarter": "2026-Q3"})
        delivery = WebhookDelivery.objects.get()
    assert endpoint.secret in page
    assert endpoint.secret not in admin.get("/o/acme/integrations/").content.decode()
    log = admin.get(f"/o/acme/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert "rebates.accrued" in log
    admin.post(f"/o/acme/integrations/deliveries/{delivery.pk}/redeliver/")
    admin.post(f"/o/acme/integrations/webhooks/{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    assert not endpoint.active
