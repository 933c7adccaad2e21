import datetime
from decimal import Decimal

import pytest
from django.db.models import Q
from django_scopes import scope

from metrics.models import MetricValue
from partners.models import Partner
from tests.factories import PartnerFactory, move_to
from tiers.models import Placement, PlacementChange
from tiers.programs import program_load
from training.models import CertificationAward

D = datetime.date
TODAY = D(2026, 11, 22)

PROGRAM = {
    "key": "resell",
    "name": "Reseller Program",
    "grace_days": 0,
    "metrics": [
        {"key": "revenue", "name": "Revenue", "unit": "currency"},
        {"key": "csat", "name": "CSAT", "unit": "score"},
    ],
    "certifications": [{"key": "sales-pro", "name": "Sales Professional"}],
    "tiers": [
        {
            "key": "registered",
            "name": "Registered",
            "rank": 0,
            "rule": None,
            "benefits": [{"title": "Partner portal"}],
        },
        {
            "key": "silver",
            "name": "Silver",
            "rank": 1,
            "rule": {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 100000},
            "benefits": [
                {"title": "Deal registration discount", "kind": "discount", "value": "10 %"}
            ],
        },
        {
            "key": "gold",
            "name": "Gold",
            "rank": 2,
            "rule": {
                "all": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 250000},
                    {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "4.2"},
                    {"certification": "sales-pro", "min": 2},
                ]
            },
            "benefits": [
                {"title": "Market development funds", "kind": "mdf", "value": "$10,000 a year"}
            ],
        },
    ],
}


def load(world, program=PROGRAM, **changes):
    with scope(tenant=world.tenant):
        found, _, _ = program_load(tenant=world.tenant, data={**program, **changes})
        move_to(Partner.objects.all(), found)
    return found


@pytest.fixture
def program(acme):
    acme.program = load(acme)
    return acme


def set_values(world, ref, metric, values: dict[str, str]):
    """values: {"2026-03": "1000", ...}"""
    from metrics.models import Metric

    with scope(tenant=world.tenant):
        partner = Partner.objects.get(ref=ref)
        metric_obj = Metric.objects.get(key=metric)
        for month, value in values.items():
            MetricValue.objects.update_or_create(
                tenant=world.tenant,
                partner=partner,
                metric=metric_obj,
                period=datetime.date.fromisoformat(month + "-01"),
                defaults={"value": Decimal(value)},
            )


EARLY_2025 = D(2025, 1, 1)


def certify(world, ref, *emails, earned=EARLY_2025):
    from training.models import Certification

    with scope(tenant=world.tenant):
        partner = Partner.objects.get(ref=ref)
        cert = Certification.objects.get(key="sales-pro")
        for email in emails:
            CertificationAward.objects.create(
                tenant=world.tenant,
                partner=partner,
                email=email,
                certification=cert,
                earned_on=earned,
                source="import",
            )


def tiers_now(world) -> dict[str, tuple]:
    with scope(tenant=world.tenant):
        return {
            p.partner.ref: (p.tier.key if p.tier else None, p.at_risk_since)
            for p in Placement.objects.select_related("partner", "tier").filter(
                Q(evaluated_on__isnull=False) | Q(tier__isnull=False)
            )
        }


def history(world) -> list[tuple]:
    with scope(tenant=world.tenant):
        return sorted(
            (
                c.partner.ref,
                c.on,
                c.from_tier.key if c.from_tier else None,
                c.to_tier.key if c.to_tier else None,
                c.reason,
            )
            for c in PlacementChange.objects.select_related("partner", "from_tier", "to_tier")
        )


REVENUES = ["0", "99999", "100000", "250000", "250000", "40000", "180000", "120000"]


def program_with_spread(world):
    """The shared refs and five more, with revenue from nothing to Gold's, CSAT and people."""
    program = load(world)
    with scope(tenant=world.tenant):
        for n in range(4, 9):
            PartnerFactory(tenant=world.tenant, ref=f"P-00{n}", program=program)
    for n, revenue in enumerate(REVENUES, start=1):
        set_values(world, f"P-00{n}", "revenue", {"2026-03": revenue})
        set_values(world, f"P-00{n}", "csat", {"2026-09": f"{3 + n % 3}.5"})
    certify(world, "P-004", "a@p.test", "b@p.test")
    certify(world, "P-005", "a@p.test")
    return program


def placed(world) -> dict[str, tuple]:
    with scope(tenant=world.tenant):
        return {
            ref: (tier, qualified, explanation)
            for ref, tier, qualified, explanation in Placement.objects.values_list(
                "partner__ref", "tier__key", "qualified_tier__key", "explanation"
            )
        }
