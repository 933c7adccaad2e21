"""Rebates, exact to the cent: the tier held at the quarter's end, the rates then in force,
base × rate / 100 rounded half-up and capped, and a ledger that is only appended to."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django_scopes import scope

from incentives.models import RebateEntry
from incentives.quarters import Quarter
from incentives.services import AccrualRefused, rebate_amount, rebates_accrue
from tiers.models import Program
from tiers.programs import program_load

from ..tiers.conftest import set_values
from .conftest import REBATE_PROGRAM, D, history

Q3 = Quarter.parse("2026-Q3")


def test_the_amount_is_rounded_half_up_to_cents_then_capped():
    assert rebate_amount(Decimal("100.2"), Decimal("2.5"), None) == Decimal("2.51"), "2.505"
    assert rebate_amount(Decimal("100.1"), Decimal("2.5"), None) == Decimal("2.50"), "2.5025"
    assert rebate_amount(Decimal("-100.2"), Decimal("2.5"), None) == Decimal("-2.51")
    assert rebate_amount(Decimal("1000000"), Decimal("3.5"), Decimal("20000")) == Decimal("20000")
    huge = rebate_amount(Decimal("99999999999999.9999"), Decimal("99.9999"), None)
    assert huge == Decimal("99999900000000.00"), "99999999999999.9999 × 0.999999, exactly"


def test_quarters_are_written_and_bounded_as_people_say_them():
    assert (Q3.first_day, Q3.last_day, str(Q3)) == (D(2026, 7, 1), D(2026, 9, 30), "2026-Q3")
    assert Quarter.parse("2026-Q4").last_day == D(2026, 12, 31)
    with pytest.raises(ValueError, match="is not a quarter written YYYY-Qn"):
        Quarter.parse("2026-Q5")


def accrue(world, quarter=Q3):
    with scope(tenant=world.tenant):
        return rebates_accrue(tenant=world.tenant, quarter=quarter)


def ledger(world) -> list[tuple]:
    with scope(tenant=world.tenant):
        return [
            (e.partner.ref, e.metric.key, e.tier.key if e.tier else None, e.kind, e.amount)
            for e in RebateEntry.objects.select_related("partner", "metric", "tier").order_by(
                "partner__ref", "pk"
            )
        ]


def test_the_tier_held_at_the_end_of_the_last_day_earns_its_rate(rebates, globex):
    history(rebates, "P-001", D(2026, 1, 10), "silver")
    history(rebates, "P-001", D(2026, 9, 30), "gold")  # moved up on the quarter's last day
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    history(rebates, "P-002", D(2026, 10, 1), "gold")  # the day after: not this quarter's
    history(rebates, "P-003", D(2026, 3, 1), "registered")  # a tier without rebates
    set_values(rebates, "P-001", "revenue", {"2026-07": "1000.10", "2026-09": "1000.10"})
    set_values(rebates, "P-001", "revenue", {"2026-06": "999999", "2026-10": "999999"})
    set_values(rebates, "P-002", "revenue", {"2026-08": "100.2"})
    set_values(rebates, "P-003", "revenue", {"2026-08": "50000"})
    result = accrue(rebates)
    assert (result.accruals, result.adjustments, result.total) == (2, 0, Decimal("72.52"))
    assert ledger(rebates) == [
        ("P-001", "revenue", "gold", "accrual", Decimal("70.01")),  # 2000.20 × 3.5 % = 70.007
        ("P-002", "revenue", "silver", "accrual", Decimal("2.51")),  # 100.2 × 2.5 % = 2.505
    ]
    assert ledger(globex) == [], "the other tenant, with the same refs, is untouched"


def test_the_cap_limits_a_quarter(rebates):
    history(rebates, "P-001", D(2026, 1, 10), "gold")
    set_values(
        rebates, "P-001", "revenue", {"2026-07": "400000", "2026-08": "400000", "2026-09": "400000"}
    )
    accrue(rebates)
    assert ledger(rebates) == [("P-001", "revenue", "gold", "accrual", Decimal("20000.00"))]


def test_a_late_correction_is_accrued_as_the_difference_and_nothing_changed_writes_nothing(
    rebates,
):
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-002", "revenue", {"2026-07": "10000"})
    accrue(rebates)
    set_values(rebates, "P-002", "revenue", {"2026-07": "12000"})  # corrected late
    result = accrue(rebates)
    assert (result.accruals, result.adjustments, result.total) == (0, 1, Decimal("50.00"))
    again = accrue(rebates)
    assert (again.accruals, again.adjustments, again.unchanged) == (0, 0, 1)
    assert ledger(rebates) == [
        ("P-002", "revenue", "silver", "accrual", Decimal("250.00")),
        ("P-002", "revenue", "silver", "adjustment", Decimal("50.00")),
    ]


def test_rates_are_those_in_force_on_the_last_day(rebates, time_machine):
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-002", "revenue", {"2026-07": "10000"})
    later = json.loads(json.dumps(REBATE_PROGRAM))
    later["tiers"][1]["rebates"][0]["rate"] = "10"
    with scope(tenant=rebates.tenant):
        program_load(tenant=rebates.tenant, data=later)  # today: after the quarter ended
    accrue(rebates)
    assert ledger(rebates) == [("P-002", "revenue", "silver", "accrual", Decimal("250.00"))]


def test_a_quarter_that_has_not_ended_is_refused(rebates):
    with pytest.raises(AccrualRefused, match="2026-Q4 has not ended"):
        accrue(rebates, Quarter.parse("2026-Q4"))


def test_ledger_entries_can_never_be_changed_or_deleted(rebates):
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-002", "revenue", {"2026-07": "10000"})
    accrue(rebates)
    with scope(tenant=rebates.tenant):
        entry = RebateEntry.objects.get()
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            RebateEntry.objects.filter(pk=entry.pk).update(amount=Decimal("999.00"))
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            entry.delete()
        assert RebateEntry.objects.get().amount == Decimal("250.00")


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_finance_exports_marks_paid_and_sees_what_a_later_adjustment_leaves_owed(rebates):
    history(rebates, "P-001", D(2026, 1, 10), "gold")
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-001", "revenue", {"2026-07": "10000.50"})
    set_values(rebates, "P-002", "revenue", {"2026-08": "100.2"})
    assert command("accrue_rebates", "--tenant", "acme", "--quarter", "2026-Q3") == (
        "2026-Q3: 2 accruals, 0 adjustments, 0 unchanged; 352.53 EUR written.\n"
    )
    assert "1 payouts, 2.51 EUR paid" in command(
        "mark_rebates_paid", "--tenant", "acme", "--quarter", "2026-Q3", "--partner", "P-002"
    )
    set_values(rebates, "P-002", "revenue", {"2026-08": "0"})  # a late correction, after payment
    command("accrue_rebates", "--tenant", "acme", "--quarter", "2026-Q3")
    assert command("export_rebates", "--tenant", "acme", "--quarter", "2026-Q3") == (
        "partner_ref,quarter,tier,metric,base,rate,amount,paid\n"
        "P-001,2026-Q3,gold,revenue,10000.5,3.5,350.02,0.00\n"
        "P-002,2026-Q3,silver,revenue,0,2.5,0.00,2.51\n"
    )
    ledger_csv = command("export_rebates", "--tenant", "acme", "--quarter", "2026-Q3", "--ledger")
    lines = ledger_csv.splitlines()
    assert lines[0] == "partner_ref,quarter,metric,kind,amount,created_at"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "P-001,2026-Q3,revenue,accrual,350.02",
        "P-002,2026-Q3,revenue,accrual,2.51",
        "P-002,2026-Q3,revenue,payout,2.51",
        "P-002,2026-Q3,revenue,adjustment,-2.51",
    ]
    assert lines[1].endswith("+01:00") or lines[1].endswith("+00:00"), "tenant-local time"
    assert "1 payouts, 350.02 EUR paid" in command(
        "mark_rebates_paid", "--tenant", "acme", "--quarter", "2026-Q3"
    ), "the over-paid line gets no payout"
    with pytest.raises(
        CommandError, match="unknown partner_ref “p-001” \\(did you mean “P-001”\\?\\)"
    ):
        command(
            "mark_rebates_paid", "--tenant", "acme", "--quarter", "2026-Q3", "--partner", "p-001"
        )


def test_the_nightly_accrues_the_quarter_that_ended_on_the_next_quarters_first_day(
    rebates, time_machine, django_capture_on_commit_callbacks
):
    from incentives.models import RebateAccrual
    from incentives.tasks import accrue_ended_quarter_if_due

    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-002", "revenue", {"2026-07": "10000"})
    time_machine.move_to(datetime.datetime(2026, 9, 30, 12, tzinfo=datetime.UTC))
    assert accrue_ended_quarter_if_due(tenant_id=rebates.tenant.pk) is None, "not the first day"
    time_machine.move_to(datetime.datetime(2026, 10, 1, 3, tzinfo=datetime.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assert accrue_ended_quarter_if_due(tenant_id=rebates.tenant.pk) == "2026-Q3"
    with scope(tenant=rebates.tenant):
        accrual = RebateAccrual.objects.get()
        assert (accrual.quarter, accrual.status, accrual.summary["total"]) == (
            "2026-Q3",
            "done",
            "250.00",
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert accrue_ended_quarter_if_due(tenant_id=rebates.tenant.pk) is None, "once"
    assert ledger(rebates) == [("P-002", "revenue", "silver", "accrual", Decimal("250.00"))]


def test_the_command_refuses_a_quarter_that_has_not_ended_and_says_why(rebates):
    with pytest.raises(CommandError, match="2026-Q4 has not ended"):
        command("accrue_rebates", "--tenant", "acme", "--quarter", "2026-Q4")
    with pytest.raises(CommandError, match="“2026-3” is not a quarter written YYYY-Qn"):
        command("accrue_rebates", "--tenant", "acme", "--quarter", "2026-3")


def test_a_partner_reads_its_statement_in_its_currency_and_downloads_it(rebates, globex):
    history(rebates, "P-001", D(2026, 1, 10), "gold")
    set_values(rebates, "P-001", "revenue", {"2026-07": "10000.50"})
    accrue(rebates)
    client = rebates.client_for(rebates.partner_user)
    with scope(tenant=rebates.tenant):
        own, other = rebates.partner, rebates.other_partner
    page = client.get(f"/o/acme/partners/{own.pk}/rebates/").content.decode()
    assert "€350.02" in page and "$" not in page, "a EUR tenant sees euros"
    assert "<td>2026-Q3</td><td>gold</td><td>revenue</td>" in page
    assert client.get(f"/o/acme/partners/{other.pk}/rebates/").status_code == 404
    pdf = client.get(f"/o/acme/partners/{own.pk}/rebates/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="rebates-P-001-' in pdf["Content-Disposition"]


def test_managers_see_totals_per_tier_and_export_them_and_admins_accrue(
    rebates, django_capture_on_commit_callbacks
):
    history(rebates, "P-001", D(2026, 1, 10), "gold")
    history(rebates, "P-002", D(2026, 2, 1), "silver")
    set_values(rebates, "P-001", "revenue", {"2026-07": "10000.50"})
    set_values(rebates, "P-002", "revenue", {"2026-08": "100.2"})
    manager = rebates.client_for(rebates.manager)
    assert manager.post("/o/acme/rebates/accrue/", {"quarter": "2026-Q3"}, follow=True).content
    assert ledger(rebates) == [], "a manager cannot accrue"
    admin = rebates.client_for(rebates.admin)
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post("/o/acme/rebates/accrue/", {"quarter": "2026-Q3"}, follow=True)
    assert "Accrual of 2026-Q3 started." in done.content.decode()
    page = manager.get("/o/acme/rebates/", {"quarter": "2026-Q3"})
    totals = {t.tier: (t.partners, t.accrued, t.owed) for t in page.context["totals"]}
    assert totals == {
        "gold": (1, Decimal("350.02"), Decimal("350.02")),
        "silver": (1, Decimal("2.51"), Decimal("2.51")),
    }
    assert "2 accruals, 0 adjustments, 352.53 EUR written" in page.content.decode()
    exported = manager.get("/o/acme/rebates/", {"quarter": "2026-Q3", "format": "csv"})
    assert exported.content.decode().splitlines() == [
        "partner_ref,quarter,tier,metric,base,rate,amount,paid",
        "P-001,2026-Q3,gold,revenue,10000.5,3.5,350.02,0.00",
        "P-002,2026-Q3,silver,revenue,100.2,2.5,2.51,0.00",
    ]
    not_ended = manager.get("/o/acme/rebates/", {"quarter": "2026-Q4"}).content.decode()
    assert "2026-Q4 has not ended" in not_ended


def test_the_partner_home_says_what_the_tier_and_the_next_one_pay(rebates):
    from tiers.services import placements_recalculate

    set_values(rebates, "P-001", "revenue", {"2026-01": "150000"})
    with scope(tenant=rebates.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 22))
    page = rebates.client_for(rebates.partner_user).get("/o/acme/").content.decode()
    worth = page[page.index("What Silver is worth each quarter") :]
    assert "Rebate: <strong>2.5 %</strong> of Revenue" in worth
    assert "Discount: <strong>10 %</strong>" in worth
    next_tier = worth[worth.index("Gold would pay") :]
    assert "Rebate: 3.5 % of Revenue, up to €20,000.00" in next_tier
    assert "Market development funds: €10,000.00 a quarter" in next_tier
