"""A partner in two programs is paid once for the same sales: each metric's rebate at the tier
(of any of its programs) that pays the most, and a quarter's funds of the tier that gives the
most. Each program still places it on its own."""

from decimal import Decimal

import pytest
from django_scopes import scope

from incentives.fund_services import mdf_allocate
from incentives.models import FundEntry
from incentives.quarters import Quarter
from partners.models import Partner
from tests.factories import placement_set
from tiers.models import PlacementChange, Program, Tier
from tiers.programs import program_load

from ..tiers.conftest import set_values
from .conftest import D, history
from .test_rebates import accrue, ledger

SERVICES = {
    "key": "services",
    "name": "Services Specialisation",
    "grace_days": 0,
    "tiers": [
        {"key": "authorised", "name": "Authorised", "rank": 0, "rule": None},
        {
            "key": "specialist",
            "name": "Specialist",
            "rank": 1,
            "rule": None,
            "rebates": [{"metric": "revenue", "rate": "3"}],
            "mdf": {"quarterly": "4000"},
        },
    ],
}


@pytest.fixture
def two_programs(rebates, time_machine):
    """Resell (Silver 2.5 %, Gold 3.5 % capped at 20,000, Gold MDF 10,000) as in `rebates`,
    and services (Specialist 3 %, uncapped, MDF 4,000), both in force since June."""
    import datetime

    history(rebates, "P-001", D(2026, 1, 10), "gold")
    history(rebates, "P-002", D(2026, 1, 10), "silver")
    time_machine.move_to(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC))
    with scope(tenant=rebates.tenant):
        services, _, _ = program_load(tenant=rebates.tenant, data=SERVICES)
    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
    with scope(tenant=rebates.tenant):
        specialist = Tier.objects.get(program=services, key="specialist")
        for ref in ("P-001", "P-002"):
            partner = Partner.objects.get(ref=ref)
            placement_set(tenant=rebates.tenant, partner=partner, program=services)
            PlacementChange.objects.create(
                tenant=rebates.tenant,
                partner=partner,
                program=services,
                to_tier=specialist,
                on=D(2026, 2, 1),
                reason="placed",
                version=services.version,
            )
    return rebates


def test_each_rebate_is_paid_once_at_the_tier_that_pays_the_most(two_programs):
    set_values(two_programs, "P-001", "revenue", {"2026-08": "1200000"})
    set_values(two_programs, "P-002", "revenue", {"2026-08": "1000"})
    result = accrue(two_programs)
    assert result.accruals == 2, "one accrual a partner and metric, not one a program"
    assert ledger(two_programs) == [
        # Gold: 3.5 % of 1,200,000 capped at 20,000; Specialist: 3 % uncapped = 36,000
        ("P-001", "revenue", "specialist", "accrual", Decimal("36000.00")),
        # Silver 2.5 % = 25.00; Specialist 3 % = 30.00
        ("P-002", "revenue", "specialist", "accrual", Decimal("30.00")),
    ]
    set_values(two_programs, "P-001", "revenue", {"2026-08": "500000"})  # a late correction
    accrue(two_programs)
    assert ledger(two_programs)[1] == (
        "P-001", "revenue", "gold", "adjustment", Decimal("-18500.00"),
    ), "Gold pays 17,500 now, more than Specialist's 15,000: the difference is adjusted"  # fmt: skip


def test_a_quarters_funds_come_once_from_the_tier_that_gives_the_most(two_programs):
    with scope(tenant=two_programs.tenant):
        mdf_allocate(tenant=two_programs.tenant, quarter=Quarter.parse("2026-Q4"))
        allocations = sorted(
            (e.partner.ref, e.tier.key, e.amount)
            for e in FundEntry.objects.select_related("partner", "tier")
        )
        assert Program.objects.count() == 2
    assert allocations == [
        ("P-001", "gold", Decimal("10000.00")),
        ("P-002", "specialist", Decimal("4000.00")),
    ]
