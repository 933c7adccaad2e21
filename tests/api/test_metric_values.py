"""Metric values over the API: up to 50,000 a call, the same checks and upsert as a file
import, all or nothing, every problem by its index; Idempotency-Key replays the first answer."""

import json
from decimal import Decimal

import pytest
from django_scopes import scope

from metrics.models import MetricValue

from ..metrics.conftest import add_metrics, stored_values
from .conftest import ApiClient, key_for

URL = "/api/v1/metric-values/"


@pytest.fixture
def crm(acme):
    add_metrics(acme)
    return ApiClient(key_for(acme))


def value(ref="P-001", metric="revenue", period="2026-01", amount="100"):
    return {"partner_ref": ref, "metric": metric, "period": period, "value": amount}


def test_values_are_upserted_exactly_and_other_tenants_untouched(acme, globex, crm):
    add_metrics(globex)
    first = crm.post(
        URL, {"values": [value(amount="1000.5"), value("P-002", "deals", "2026-02", 3)]}
    )
    assert first.status_code == 200
    assert first.json() == {"rows": 2, "inserted": 2, "updated": 0, "unchanged": 0}
    again = crm.post(
        URL,
        '{"values": [{"partner_ref": "P-001", "metric": "revenue", "period": "2026-01", "value": 1000.1234}]}',
    )
    assert again.json() == {"rows": 1, "inserted": 0, "updated": 1, "unchanged": 0}
    assert stored_values(acme) == {
        ("P-001", "revenue", "2026-01"): "1000.1234",
        ("P-002", "deals", "2026-02"): "3.0000",
    }
    assert stored_values(globex) == {}


def test_every_problem_is_named_by_its_index_and_nothing_is_written(acme, crm):
    values = [
        value(),  # 0: fine, but must not be written
        value("P-999"),  # 1
        value(metric="profit"),  # 2
        value(period="2026-13"),  # 3
        value(period="2026-04", amount="NaN"),  # 4
        value(period="2026-05", amount="1,5"),  # 5
        value(period="2026-06", amount="1.23456"),  # 6
        value(),  # 7: repeats 0
        {"partner_ref": "P-001", "metric": "revenue", "period": "2026-07"},  # 8
        {**value(period="2026-03"), "vaule": "5"},  # 9
        "P-001,revenue,2026-01,1",  # 10
        value(period="2026-08", amount=True),  # 11
        value(ref="p-001"),  # 12
        value(period="2026-11"),  # 13: the month has not ended
    ]
    response = crm.post(URL, {"values": values})
    assert response.status_code == 400
    errors = [f"{e['path']}: {e['detail']}" for e in response.json()["errors"]]
    assert errors == [
        "values[1].partner_ref: unknown partner_ref “P-999”",
        "values[2].metric: unknown metric “profit”",
        "values[3].period: period “2026-13” is not a month written YYYY-MM (for example 2026-03)",
        "values[4].value: value “NaN” is not a finite number",
        "values[5].value: value “1,5” is not a number: use a point for decimals and no separators",
        "values[6].value: value “1.23456” has more than 4 decimal places",
        "values[7]: P-001 / revenue / 2026-01 already appears at values[0]",
        "values[8].value: value is missing",
        "values[9]: vaule: unknown field (did you mean “value”?); known fields: metric, "
        "partner_ref, period, value",
        "values[10]: must be an object with partner_ref, metric, period, value",
        "values[11].value: must be text (got bool)",
        "values[12].partner_ref: unknown partner_ref “p-001” (did you mean “P-001”?)",
        "values[13].period: 2026-11 has not ended: a month is imported once it is over",
    ]
    assert response.json()["detail"].startswith("13 problem(s); nothing was written.")
    assert stored_values(acme) == {}


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({}, 400, "values"),
        ({"values": []}, 400, "values"),
        ({"values": [value()], "mode": "replace"}, 400, "mode"),
        ([value()], 400, ""),
        ({"values": [value()] * 50_001}, 413, "values"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_whole(acme, crm, body, status, path):
    response = crm.post(URL, body)
    assert response.status_code == status
    assert response.json()["errors"][0]["path"] == path
    assert stored_values(acme) == {}


def test_not_json_is_a_problem_not_a_500(crm):
    response = crm.post(URL, "{not json")
    assert response.status_code == 400
    assert "not JSON" in response.json()["detail"]


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(acme, crm):
    body = {"values": [value(amount="10")]}
    first = crm.post(URL, body, **{"Idempotency-Key": "sync-2026-11-24"})
    assert first.json()["inserted"] == 1
    with scope(tenant=acme.tenant):
        MetricValue.objects.update(value=Decimal("99"))  # changed since, by someone else
    retry = crm.post(URL, body, **{"Idempotency-Key": "sync-2026-11-24"})
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry["Idempotent-Replayed"] == "true"
    assert stored_values(acme) == {("P-001", "revenue", "2026-01"): "99.0000"}, "not run again"
    other = crm.post(
        URL, {"values": [value(amount="11")]}, **{"Idempotency-Key": "sync-2026-11-24"}
    )
    assert other.status_code == 422
    assert "used with another body" in other.json()["detail"]


def test_values_are_read_back_by_partner_metric_and_month(acme, globex, crm):
    crm.post(URL, {"values": [value(period=f"2026-0{m}", amount=str(m)) for m in range(1, 7)]})
    page = crm.get(URL, {"partner_ref": "P-001", "first": "2026-03", "last": "2026-04"}).json()
    assert [(v["period"], v["value"]) for v in page["results"]] == [
        ("2026-03", "3.0000"),
        ("2026-04", "4.0000"),
    ]
    add_metrics(globex)
    stranger = ApiClient(key_for(globex))
    assert stranger.get(URL, {"partner_ref": "P-001"}).json()["results"] == []


def test_a_read_key_cannot_post_values(acme):
    add_metrics(acme)
    reader = ApiClient(key_for(acme, "read"))
    assert reader.post(URL, {"values": [value()]}).status_code == 403
    assert stored_values(acme) == {}


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        ('{"values": [{"partner_ref": "P\\r1", "metric": "revenue", "period": "2026-01", '
         '"value": "1"}]}', 400, "unknown partner_ref"),
        ('{"values": [{"partner_ref": "P\\u00001", "metric": "revenue", "period": "2026-01", '
         '"value": "1"}]}', 400, "values[0].partner_ref: text may not contain NUL"),
        ('{"values": [{"partner_ref": "\\uda3c", "metric": "revenue", "period": "2026-01", '
         '"value": "1"}]}', 400, "values[0].partner_ref: text holds a lone surrogate"),
    ],
)  # fmt: skip
def test_text_postgresql_cannot_take_is_a_problem_not_a_500(acme, crm, raw, status, detail):
    response = crm.post(URL, raw)
    assert response.status_code == status
    assert detail in json.dumps(response.json(), ensure_ascii=False)
    assert stored_values(acme) == {}


def test_first_answers_are_forgotten_after_a_day(acme, crm, time_machine):
    from partnerhub.api.tasks import prune_idempotent_answers

    crm.post(URL, {"values": [value()]}, **{"Idempotency-Key": "k1"})
    time_machine.move_to("2026-11-25T11:00:00Z")
    assert prune_idempotent_answers() == 0
    time_machine.move_to("2026-11-25T13:00:00Z")
    assert prune_idempotent_answers() == 1
    again = crm.post(URL, {"values": [value()]}, **{"Idempotency-Key": "k1"})
    assert "Idempotent-Replayed" not in again and again.json()["unchanged"] == 1
