"""Market development funds: each quarter, the allocation of the tier held on its first day;
unused funds expire at the end of the following quarter."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django_scopes import scope

from incentives.fund_selectors import mdf_funds
from incentives.fund_services import AllocationRefused, mdf_allocate
from incentives.models import FundEntry
from incentives.quarters import Quarter

from .conftest import D, history

Q4 = Quarter.parse("2026-Q4")


def allocate(world, quarter=Q4):
    with scope(tenant=world.tenant):
        return mdf_allocate(tenant=world.tenant, quarter=quarter)


def allocations(world) -> list[tuple]:
    with scope(tenant=world.tenant):
        return [
            (e.partner.ref, e.quarter, e.tier.key, e.amount)
            for e in FundEntry.objects.select_related("partner", "tier").order_by("partner__ref")
        ]


def test_each_partner_gets_the_allocation_of_the_tier_held_on_the_first_day(rebates, globex):
    history(rebates, "P-001", D(2026, 3, 1), "silver")
    history(rebates, "P-001", D(2026, 10, 1), "gold")  # promoted on the first day: counts
    history(rebates, "P-002", D(2026, 3, 1), "gold")
    history(rebates, "P-002", D(2026, 10, 2), "silver")  # the day after: not for this quarter
    history(rebates, "P-003", D(2026, 3, 1), "silver")  # a tier without MDF
    result = allocate(rebates)
    assert (result.allocated, result.total) == (2, Decimal("20000.00"))
    assert allocations(rebates) == [
        ("P-001", "2026-Q4", "gold", Decimal("10000.00")),
        ("P-002", "2026-Q4", "gold", Decimal("10000.00")),
    ]
    assert allocate(rebates).allocated == 0, "running it again allocates nothing new"
    assert allocations(globex) == []


def test_one_allocation_per_partner_and_quarter_is_a_database_rule(rebates):
    history(rebates, "P-002", D(2026, 3, 1), "gold")
    allocate(rebates)
    with scope(tenant=rebates.tenant):
        entry = FundEntry.objects.get()
        twin = FundEntry(
            tenant=rebates.tenant,
            partner=entry.partner,
            quarter=entry.quarter,
            tier=entry.tier,
            kind="allocation",
            amount=Decimal("1.00"),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            FundEntry.objects.update(amount=Decimal("0.00"))


def test_a_quarter_that_has_not_started_is_refused(rebates):
    with pytest.raises(AllocationRefused, match="2027-Q1 has not started"):
        allocate(rebates, Quarter.parse("2027-Q1"))


def test_unused_funds_expire_at_the_end_of_the_next_quarter(rebates):
    history(rebates, "P-002", D(2026, 3, 1), "gold")
    allocate(rebates, Quarter.parse("2026-Q2"))  # the program was not in force yet: nothing
    allocate(rebates, Quarter.parse("2026-Q3"))
    allocate(rebates, Q4)
    with scope(tenant=rebates.tenant):
        partner = rebates.partners["P-002"]
        lines = mdf_funds(partner_id=partner.pk, today=D(2026, 11, 24)).history
        assert [(line.quarter, line.expires_on) for line in lines] == [
            ("2026-Q4", D(2027, 3, 31)),
            ("2026-Q3", D(2026, 12, 31)),
        ]
        today = D(2026, 11, 24)
        assert mdf_funds(partner_id=partner.pk, today=today).available == Decimal("20000.00")
        new_year = datetime.date(2027, 1, 1)
        assert mdf_funds(partner_id=partner.pk, today=new_year).available == Decimal("10000.00")


def test_the_partner_home_shows_the_funds_available_and_until_when(rebates):
    from tiers.models import Program
    from tiers.services import placements_recalculate

    history(rebates, "P-001", D(2026, 3, 1), "gold")
    allocate(rebates, Quarter.parse("2026-Q3"))
    allocate(rebates)
    with scope(tenant=rebates.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 22))
    page = rebates.client_for(rebates.partner_user).get("/o/acme/").content.decode()
    assert "Market development funds available: €20,000.00" in page
    assert "2026-Q3 (Gold): €10,000.00 of €10,000.00 left, usable until 31 December 2026" in page


def test_the_allocate_command_says_what_it_allocated_and_refuses_a_future_quarter(rebates):
    from io import StringIO

    from django.core.management import CommandError, call_command

    history(rebates, "P-002", D(2026, 3, 1), "gold")
    out = StringIO()
    call_command("allocate_mdf", "--tenant", "acme", "--quarter", "2026-Q4", stdout=out)
    assert out.getvalue() == "2026-Q4: 1 allocations, 10000.00 EUR allocated.\n"
    with pytest.raises(CommandError, match="2027-Q1 has not started"):
        call_command("allocate_mdf", "--tenant", "acme", "--quarter", "2027-Q1")
