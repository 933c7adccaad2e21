import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from metrics.models import MetricImport, MetricValue

from .conftest import stored_values

HEADER = "partner_ref,metric,period,value\n"


@pytest.fixture
def upload(acme_metrics, django_capture_on_commit_callbacks):
    """Upload a file as the manager; the import task runs when the upload commits."""

    def post(content: bytes, name="values.csv", **headers):
        client = acme_metrics.client_for(acme_metrics.manager)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/o/acme/metrics/imports/",
                {"file": SimpleUploadedFile(name, content)},
                headers={"HX-Request": "true", **headers},
            )

    return post


def latest_import(world) -> MetricImport:
    with scope(tenant=world.tenant):
        return MetricImport.objects.select_related("started_by").first()


def test_an_uploaded_file_is_imported_and_recorded(acme_metrics, upload):
    content = (HEADER + "P-001,revenue,2026-01,10\n").encode()
    response = upload(content)
    record = latest_import(acme_metrics)
    assert response["HX-Redirect"] == f"/o/acme/metrics/imports/{record.pk}/"
    assert (record.status, record.rows_inserted, record.started_by) == (
        "succeeded",
        1,
        acme_metrics.manager.user,
    )
    assert (record.file_name, record.size_bytes) == ("values.csv", len(content))
    assert stored_values(acme_metrics) == {("P-001", "revenue", "2026-01"): "10.0000"}

    page = acme_metrics.client_for(acme_metrics.manager).get(response["HX-Redirect"])
    assert "1 rows: 1 new, 0 updated, 0 unchanged." in page.content.decode()
    assert "hx-trigger" not in page.content.decode(), "a finished import stops polling"


def test_a_rejected_upload_shows_the_same_report_as_the_command(acme_metrics, upload):
    upload((HEADER + "P-001,revenue,2026-01,ten\n").encode())
    record = latest_import(acme_metrics)
    page = acme_metrics.client_for(acme_metrics.manager).get(
        f"/o/acme/metrics/imports/{record.pk}/"
    )
    body = page.content.decode()
    assert "Nothing was imported." in body
    assert "line 2: value “ten” is not a number" in body


def test_an_excel_upload_is_imported(acme_metrics, upload):
    workbook = openpyxl.Workbook()
    workbook.active.append(["partner_ref", "metric", "period", "value"])
    workbook.active.append(["P-002", "deals", "2026-03", 4])
    content = io.BytesIO()
    workbook.save(content)
    upload(content.getvalue(), name="values.xlsx")
    assert stored_values(acme_metrics) == {("P-002", "deals", "2026-03"): "4.0000"}


def test_an_oversized_upload_is_refused_without_being_read(acme_metrics, upload, settings):
    settings.METRIC_IMPORT_MAX_BYTES = 100_000
    response = upload(b"x" * 300_000, **{"X-CSRFToken": "sent by htmx from the page"})
    record = latest_import(acme_metrics)
    assert response.status_code == 200
    assert record.status == "rejected"
    assert record.problems == ["the upload is 300 kB; files up to 100 kB can be imported"]
    assert record.stored_file == "", "nothing of it was kept"


def test_an_upload_without_a_file_is_explained(acme_metrics):
    client = acme_metrics.client_for(acme_metrics.manager)
    response = client.post("/o/acme/metrics/imports/", {}, headers={"HX-Request": "true"})
    assert "This field is required." in response.content.decode()


def test_a_running_import_shows_its_progress_and_keeps_polling(acme_metrics):
    from django.core.cache import cache

    from metrics.tasks import progress_key

    with scope(tenant=acme_metrics.tenant):
        record = MetricImport.objects.create(
            tenant=acme_metrics.tenant, file_name="big.csv", size_bytes=10**8, status="running"
        )
    cache.set(progress_key(record.pk), {"phase": "reading", "percent": 42})
    client = acme_metrics.client_for(acme_metrics.manager)
    partial = client.get(f"/o/acme/metrics/imports/{record.pk}/", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'aria-valuenow="42"' in body and 'hx-trigger="every 1s"' in body
    assert "<html" not in body


def test_partner_users_cannot_import(acme_metrics):
    client = acme_metrics.client_for(acme_metrics.partner_user)
    assert client.get("/o/acme/metrics/imports/").status_code == 403


def test_the_export_download_is_filtered_and_formula_safe(acme_metrics):
    from partners.models import Partner

    with scope(tenant=acme_metrics.tenant):
        partner = Partner.objects.get(ref="P-003")
        partner.ref = "@SUM(A1)"
        partner.save()
        for month in (1, 2):
            MetricValue.objects.create(
                tenant=acme_metrics.tenant,
                partner=partner,
                metric=acme_metrics.metrics["deals"],
                period=datetime.date(2026, month, 1),
                value=Decimal(month),
            )
    client = acme_metrics.client_for(acme_metrics.manager)
    response = client.get("/o/acme/metrics/export/", {"metric": "deals", "first": "2026-02"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).decode() == HEADER + "'@SUM(A1),deals,2026-02,2\n"


def test_the_export_form_names_a_bad_month(acme_metrics):
    client = acme_metrics.client_for(acme_metrics.manager)
    response = client.get("/o/acme/metrics/export/", {"first": "2026-06", "last": "2026-01"})
    assert "The last month is before the first." in response.content.decode()


@pytest.fixture
def scored_partner(acme_metrics, monkeypatch):
    """P-001 with revenue in some of the 12 months before 2026-11, and CSAT scores."""
    with scope(tenant=acme_metrics.tenant):
        for period, value in [
            ("2025-11", "1000"),
            ("2026-03", "2500.50"),
            ("2026-10", "500"),
            ("2026-11", "9999"),
            ("2025-10", "7777"),
        ]:
            MetricValue.objects.create(
                tenant=acme_metrics.tenant,
                partner=acme_metrics.partner,
                metric=acme_metrics.metrics["revenue"],
                period=datetime.date.fromisoformat(period + "-01"),
                value=Decimal(value),
            )
        for period, value in [("2026-01", "4"), ("2026-02", "5")]:
            MetricValue.objects.create(
                tenant=acme_metrics.tenant,
                partner=acme_metrics.partner,
                metric=acme_metrics.metrics["csat"],
                period=datetime.date.fromisoformat(period + "-01"),
                value=Decimal(value),
            )
    monkeypatch.setattr(
        type(acme_metrics.tenant), "local_today", lambda self: datetime.date(2026, 11, 22)
    )
    return acme_metrics


def test_the_scorecard_shows_twelve_complete_months_with_gaps_and_totals(scored_partner):
    client = scored_partner.client_for(scored_partner.partner_user)
    response = client.get(f"/o/acme/partners/{scored_partner.partner.pk}/scorecard/")
    series = {s.metric.key: s for s in response.context["series"]}
    revenue = series["revenue"]
    assert revenue.months[0] == datetime.date(2025, 11, 1)
    assert revenue.months[-1] == datetime.date(2026, 10, 1)
    assert revenue.values.count(None) == 9, "empty months stay empty, not zero"
    assert revenue.total == Decimal("4000.50")
    assert series["csat"].summary == Decimal("4.5"), "scores average instead of adding up"
    assert series["deals"].summary is None
    body = response.content.decode()
    assert "EUR 4,000.50" in body
    assert "Total" in body and "Average" in body


def test_the_scorecard_runs_a_fixed_number_of_queries(
    scored_partner, django_assert_max_num_queries
):
    client = scored_partner.client_for(scored_partner.manager)
    url = f"/o/acme/partners/{scored_partner.partner.pk}/scorecard/"
    client.get(url)
    with django_assert_max_num_queries(8):
        client.get(url)


def test_an_oversized_upload_without_javascript_gets_the_same_message(acme_metrics, settings):
    settings.METRIC_IMPORT_MAX_BYTES = 100_000
    client = acme_metrics.client_for(acme_metrics.manager)
    client.handler.enforce_csrf_checks = True
    page = client.get("/o/acme/metrics/imports/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        "/o/acme/metrics/imports/",
        {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("big.csv", b"x" * 300_000)},
    )
    assert response.status_code == 413, "not a CSRF 403"
    assert "the upload is 300 kB; files up to 100 kB can be imported" in response.content.decode()
    with scope(tenant=acme_metrics.tenant):
        assert not MetricImport.objects.exists(), "an unverified request writes nothing"
