"""No API operation of one tenant's key reaches another tenant's rows. The operations are read
from the live schema, so one added later is covered; a new path parameter must be taught to
acme_ids below, or the test fails and says so."""

import datetime
import json

import pytest
from django_scopes import scope
from drf_spectacular.generators import SchemaGenerator

from incentives.models import FundRequest
from metrics.models import MetricImport
from partners.models import Partner
from tiers.models import Placement, Program, RecalculationRun

from ..factories import PartnerFactory
from ..tiers.conftest import load
from .conftest import ApiClient, key_for

OPERATIONS = [
    (method.upper(), path)
    for path, item in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
    for method in item
]


@pytest.fixture
def acme_ids(acme):
    """Rows only Acme has: a partner ref, its program, a run, an import, a fund request."""
    load(acme)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
        partner = PartnerFactory(tenant=acme.tenant, ref="ACME-ONLY", program=program)
        run = RecalculationRun.objects.create(
            tenant=acme.tenant, program=program, as_of=datetime.date(2026, 11, 1)
        )
        metric_import = MetricImport.objects.create(
            tenant=acme.tenant, file_name="a.csv", size_bytes=1
        )
        day = datetime.date(2026, 11, 30)
        fund_request = FundRequest.objects.create(
            tenant=acme.tenant, partner=partner, title="Acme only", activity_type="event",
            starts_on=day, ends_on=day, amount_requested=1,
        )  # fmt: skip
    return {
        "ref": "ACME-ONLY",
        "key": program.key,
        "run_id": run.pk,
        "import_id": metric_import.pk,
        "request_id": fund_request.pk,
    }


def snapshot(world) -> dict:
    with scope(tenant=world.tenant):
        return {
            "partners": sorted(Partner.objects.values_list("pk", "ref", "name", "updated_at")),
            "placements": sorted(Placement.objects.values_list("pk", "tier_id")),
            "programs": sorted(Program.objects.values_list("pk", "version")),
            "runs": sorted(RecalculationRun.objects.values_list("pk", "status")),
            "requests": sorted(FundRequest.objects.values_list("pk", "status")),
        }


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if "{" in op[1]])
def test_another_tenants_key_gets_404_for_every_id_and_changes_nothing(
    acme, globex, acme_ids, method, path
):
    url = path
    for name, value in acme_ids.items():
        url = url.replace("{" + name + "}", str(value))
    if "{" in url:
        pytest.fail(f"teach acme_ids how to find a “{url}” parameter in a tenant")
    before = snapshot(acme)
    stranger = ApiClient(key_for(globex))
    body = {"decision": "reject", "note": "x"} if method == "POST" else {}
    response = stranger.client.generic(
        method,
        url,
        data=json.dumps(body),
        content_type="application/json",
        secure=True,
        headers=stranger.headers,
    )
    if (method, path) == ("PUT", "/api/v1/partners/{ref}/"):
        assert response.status_code in (400, 201)  # an upsert: a partner of Globex's own, or not
    else:
        assert response.status_code in (400, 404), f"{method} {url}: {response.status_code}"
        if response.status_code == 400:
            assert method != "GET"  # a body checked before the lookup reveals nothing
    assert snapshot(acme) == before
    assert b"Acme only" not in response.content and b'ACME-ONLY"' not in response.content
