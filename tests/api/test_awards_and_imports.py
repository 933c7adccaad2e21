"""The LMS feed over the API: the same rules as import_certifications, by index; and the
status of metric imports."""

from django_scopes import scope

from metrics.models import MetricImport
from training.models import Certification, CertificationAward

from .conftest import ApiClient, key_for

URL = "/api/v1/certification-awards/"


def award(**changes):
    return {
        "partner_ref": "P-001",
        "email": "ann@p.test",
        "certification": "sales-pro",
        "earned_on": "2026-03-01",
        "expires_on": "2028-03-01",
    } | changes


def test_awards_are_recorded_then_updated_by_a_second_feed(acme, globex):
    with scope(tenant=acme.tenant):
        Certification.objects.create(tenant=acme.tenant, key="sales-pro", name="Sales Pro")
    lms = ApiClient(key_for(acme))
    first = lms.post(URL, {"awards": [award(), award(email="bob@p.test", expires_on=None)]})
    assert first.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    again = lms.post(URL, {"awards": [award(expires_on="2029-03-01")]})
    assert again.json() == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0}
    with scope(tenant=globex.tenant):
        assert CertificationAward.objects.count() == 0


def test_a_bad_feed_names_each_problem_by_index_and_writes_nothing(acme):
    with scope(tenant=acme.tenant):
        Certification.objects.create(tenant=acme.tenant, key="sales-pro", name="Sales Pro")
    response = ApiClient(key_for(acme)).post(
        URL,
        {
            "awards": [
                award(),
                award(partner_ref="P-404"),
                award(email="not-an-email"),
                award(certification="sales_pro"),
                award(earned_on="01/03/2026"),
                award(expires_on="2026-01-01"),
                award(),
            ]
        },
    )
    assert response.status_code == 400
    assert [f"{e['path']}: {e['detail']}" for e in response.json()["errors"]] == [
        "awards[1].partner_ref: unknown partner_ref “P-404”",
        "awards[2].email: email “not-an-email” is not an e-mail address",
        "awards[3].certification: unknown certification “sales_pro”",
        "awards[4].earned_on: earned_on “01/03/2026” is not a date written YYYY-MM-DD",
        "awards[5].expires_on: expires_on must be after earned_on",
        "awards[6]: the same award already appears at awards[0]",
    ]
    with scope(tenant=acme.tenant):
        assert CertificationAward.objects.count() == 0


def test_an_imports_status_is_read_by_its_id_in_its_tenant_only(acme, globex):
    with scope(tenant=acme.tenant):
        found = MetricImport.objects.create(
            tenant=acme.tenant, file_name="crm.csv", size_bytes=10, status="rejected",
            problems=["line 3: unknown metric “profit”"], problem_count=1,
        )  # fmt: skip
    mine = ApiClient(key_for(acme, "read")).get(f"/api/v1/imports/{found.pk}/").json()
    assert (mine["status"], mine["problems"]) == ("rejected", ["line 3: unknown metric “profit”"])
    assert ApiClient(key_for(globex)).get(f"/api/v1/imports/{found.pk}/").status_code == 404
