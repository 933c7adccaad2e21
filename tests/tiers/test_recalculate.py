"""Placement through the service on PostgreSQL: every branch of the rules."""

import datetime

import pytest
from django_scopes import scope

from tiers.models import Placement, Program, Tier
from tiers.services import RecalculationRefused, placement_override, placements_recalculate

from .conftest import TODAY, D, certify, history, load, set_values, tiers_now

LATER_TODAY = datetime.datetime(2027, 6, 15, 12, tzinfo=datetime.UTC)


def run(world, on=TODAY, **kwargs):
    with scope(tenant=world.tenant):
        program = Program.objects.get(key="resell")
        return placements_recalculate(program=program, as_of=on, **kwargs)


def gold_facts(world, ref="P-001"):
    set_values(world, ref, "revenue", {"2025-11": "150000", "2026-10": "100000"})
    set_values(world, ref, "csat", {"2026-05": "4.2", "2026-10": "4.2"})
    certify(world, ref, "a@p.test", "b@p.test")


def test_partners_are_placed_in_the_highest_tier_whose_rule_holds(program, globex):
    gold_facts(program, "P-001")
    set_values(program, "P-002", "revenue", {"2026-01": "100000"})
    summary = run(program)
    assert tiers_now(program) == {
        "P-001": ("gold", None),
        "P-002": ("silver", None),
        "P-003": ("registered", None),
    }
    assert (summary.evaluated, summary.placed, summary.promoted, summary.unchanged) == (3, 3, 0, 0)
    assert tiers_now(globex) == {}, "the other tenant's same refs are untouched"


def test_the_window_spans_the_twelve_complete_months_before_the_date(program):
    set_values(
        program,
        "P-001",
        "revenue",
        {
            "2025-10": "500000",  # 13 months back: outside
            "2025-11": "60000",  # first month of the window, across the year end
            "2026-10": "39999.9999",  # last complete month
            "2026-11": "500000",  # the current month: not complete, outside
        },
    )
    run(program)
    assert tiers_now(program)["P-001"] == ("registered", None), "99,999.9999 is not 100,000"
    set_values(program, "P-001", "revenue", {"2026-10": "40000"})
    run(program, on=D(2026, 11, 23))
    assert tiers_now(program)["P-001"] == ("silver", None), "exactly 100,000 qualifies"


def test_averages_and_certifications_are_exact(program):
    gold_facts(program)
    set_values(program, "P-001", "csat", {"2026-07": "4.19"})  # (4.2+4.2+4.19)/3 < 4.2
    run(program)
    assert tiers_now(program)["P-001"] == ("silver", None)
    with scope(tenant=program.tenant):
        placement = Placement.objects.get(partner__ref="P-001")
    held, conditions = placement.explanation["tiers"]["gold"]
    assert held is False
    assert conditions[0] == ["250000.0000", True]
    assert conditions[1][1] is False and conditions[1][0].startswith("4.19666")
    assert conditions[2] == ["2", True]


def test_the_same_date_again_changes_nothing_and_writes_no_duplicate(program):
    gold_facts(program)
    run(program)
    before_tiers, before_history = tiers_now(program), history(program)
    summary = run(program)
    assert summary.placed == 3, "the date is evaluated again from the standing before it"
    assert tiers_now(program) == before_tiers
    assert history(program) == before_history


def test_running_a_date_again_after_a_correction_gives_what_one_clean_run_would(program):
    gold_facts(program)
    run(program)
    set_values(program, "P-001", "revenue", {"2025-11": "1"})  # corrected: now only silver
    run(program)
    assert tiers_now(program)["P-001"] == ("silver", None)


def test_an_earlier_date_is_refused(program):
    run(program)
    with pytest.raises(RecalculationRefused, match="before this program's last evaluation"):
        run(program, on=D(2026, 11, 21))


def test_a_dry_run_writes_nothing_and_lists_the_changes(program):
    gold_facts(program)
    summary = run(program, dry_run=True)
    assert [(c.partner_ref, c.to_tier, c.reason) for c in summary.changes] == [
        ("P-001", "gold", "placed"),
        ("P-002", "registered", "placed"),
        ("P-003", "registered", "placed"),
    ]
    assert tiers_now(program) == {} and history(program) == []
    with scope(tenant=program.tenant):
        assert Program.objects.get(key="resell").last_evaluated_on is None


def test_without_grace_a_partner_is_demoted_as_soon_as_it_stops_qualifying(program, time_machine):
    time_machine.move_to(LATER_TODAY)  # real evaluations never run ahead of the calendar
    gold_facts(program)
    run(program, on=D(2026, 11, 1))
    run(program, on=D(2027, 1, 1))  # 2025-11 revenue fell out of the window
    assert tiers_now(program)["P-001"] == ("silver", None)
    assert ("P-001", D(2027, 1, 1), "gold", "silver", "demotion") in history(program)


def test_grace_keeps_the_tier_then_demotes_to_the_tier_qualified_then(program, time_machine):
    time_machine.move_to(LATER_TODAY)  # real evaluations never run ahead of the calendar
    load(program, grace_days=30)
    gold_facts(program)
    run(program, on=D(2026, 11, 1))
    set_values(program, "P-001", "revenue", {"2025-11": "0", "2026-10": "0"})
    run(program, on=D(2026, 11, 10))
    assert tiers_now(program)["P-001"] == ("gold", D(2026, 11, 10))
    run(program, on=D(2026, 12, 9))
    assert tiers_now(program)["P-001"] == ("gold", D(2026, 11, 10)), "grace not over"
    run(program, on=D(2026, 12, 10))
    assert tiers_now(program)["P-001"] == ("registered", None), "two steps down at once"
    assert [h for h in history(program) if h[0] == "P-001"] == [
        ("P-001", D(2026, 11, 1), None, "gold", "placed"),
        ("P-001", D(2026, 11, 10), "gold", "gold", "at_risk"),
        ("P-001", D(2026, 12, 10), "gold", "registered", "grace_expiry"),
    ]


def test_qualifying_again_during_grace_clears_the_risk(program):
    load(program, grace_days=30)
    gold_facts(program)
    run(program, on=D(2026, 11, 1))
    set_values(program, "P-001", "csat", {"2026-10": "1"})
    run(program, on=D(2026, 11, 5))
    assert tiers_now(program)["P-001"][1] == D(2026, 11, 5)
    set_values(program, "P-001", "csat", {"2026-10": "5"})
    run(program, on=D(2026, 11, 6))
    assert tiers_now(program)["P-001"] == ("gold", None)


def test_an_override_holds_until_its_date_then_the_rules_apply(program, time_machine):
    time_machine.move_to(LATER_TODAY)  # real evaluations never run ahead of the calendar
    run(program, on=D(2026, 11, 1))
    with scope(tenant=program.tenant):
        partner = program.partners["P-002"]
        partner.refresh_from_db()
        gold = Tier.objects.get(key="gold")
        placement_override(
            partner=partner,
            tier=gold,
            until=D(2026, 12, 1),
            reason="Strategic launch partner",
            by=program.manager.user,
            today=D(2026, 11, 2),
        )
    assert tiers_now(program)["P-002"] == ("gold", None)
    run(program, on=D(2026, 11, 30))
    assert tiers_now(program)["P-002"] == ("gold", None)
    run(program, on=D(2026, 12, 1))
    assert tiers_now(program)["P-002"] == ("registered", None), "override ended; grace 0 demotes"
    assert ("P-002", D(2026, 11, 2), "registered", "gold", "override") in history(program)


def test_the_run_makes_the_same_queries_for_3_or_83_partners(program, django_assert_num_queries):
    """Set-based: no query per partner (bulk writes go in batches of 5,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PartnerFactory

    def add_partners(prefix):
        with scope(tenant=program.tenant):
            program_obj = Program.objects.get(key="resell")
            for n in range(40):
                PartnerFactory(tenant=program.tenant, ref=f"{prefix}-{n}", program=program_obj)

    gold_facts(program)
    run(program, on=D(2026, 11, 1))
    add_partners("X")
    with CaptureQueriesContext(connection) as with_43:
        run(program, on=D(2026, 11, 2))
    add_partners("Y")
    with django_assert_num_queries(len(with_43.captured_queries)):
        run(program, on=D(2026, 11, 3))


def test_sql_and_python_facts_agree(program):
    from tiers.selectors import MetricSpan, _span_stats_python, _span_stats_sql, program_tier_rules

    gold_facts(program)
    set_values(program, "P-002", "revenue", {"2025-12": "-5", "2026-02": "7.5", "2026-06": "3"})
    set_values(program, "P-003", "revenue", {"2026-08": "12", "2026-09": "0.5"})
    every = frozenset({"sum", "count", "min", "max", "latest"})
    spans = [
        MetricSpan("csat", 6, D(2026, 5, 1), D(2026, 10, 1), every),
        MetricSpan("revenue", 12, D(2025, 11, 1), D(2026, 10, 1), every),
        MetricSpan("revenue", "last_fq", D(2026, 7, 1), D(2026, 9, 1), every),
        MetricSpan("revenue", 3, D(2026, 5, 1), D(2026, 7, 1), every, before=True),
    ]
    with scope(tenant=program.tenant):
        program_obj = Program.objects.get(key="resell")
        from metrics.models import Metric

        ids = dict(Metric.objects.values_list("key", "pk"))
        from_sql = sorted(_span_stats_sql(program_obj, spans, ids), key=str)
        assert from_sql == sorted(_span_stats_python(program_obj, spans, ids), key=str)
        assert {span for _, span, _ in from_sql} == set(spans), "every span found values"
        assert program_tier_rules(program_obj)[1][2].key == "gold"


def test_a_real_run_after_today_is_refused_but_a_dry_run_looks_at_any_date(program):
    today = program.tenant.local_today()
    with pytest.raises(RecalculationRefused, match="is after today"):
        run(program, on=today + datetime.timedelta(days=1))
    with scope(tenant=program.tenant):
        assert Program.objects.get().last_evaluated_on is None, "nothing was locked in"
    run(program, on=TODAY)
    assert run(program, on=D(2030, 1, 1), dry_run=True).evaluated == 3
    assert run(program, on=D(2026, 1, 1), dry_run=True).evaluated == 3, "earlier dates too"
    with pytest.raises(RecalculationRefused, match="before this program's last evaluation"):
        run(program, on=D(2026, 1, 1))


def test_undo_puts_every_partner_back_and_keeps_the_history_append_only(program, time_machine):
    from tiers.models import PlacementChange, RecalculationRun
    from tiers.services import recalculation_create, recalculation_run, recalculation_undo

    time_machine.move_to(LATER_TODAY)
    load(program, grace_days=30)
    gold_facts(program)

    def nightly(on):
        with scope(tenant=program.tenant):
            found = Program.objects.get()
            return recalculation_run(run=recalculation_create(program=found, as_of=on))

    nightly(D(2026, 11, 1))
    standing_before = tiers_now(program)
    with scope(tenant=program.tenant):
        explanation_before = Placement.objects.get(partner__ref="P-001").explanation
    history_before = history(program)
    second = nightly(D(2027, 1, 1))  # P-001 falls short of Gold: at risk
    assert tiers_now(program)["P-001"] == ("gold", D(2027, 1, 1))

    with scope(tenant=program.tenant):
        undone = recalculation_undo(program=Program.objects.get())
        assert undone.pk == second.pk and undone.undone_at is not None
        assert Program.objects.get().last_evaluated_on == D(2026, 11, 1)
        assert Placement.objects.get(partner__ref="P-001").explanation == explanation_before
        at_risk = PlacementChange.objects.get(reason="at_risk")
        assert at_risk.undone_at is not None, "the run's entry is marked, not deleted"
        reverse = PlacementChange.objects.get(reason="undone")
        assert (reverse.partner.ref, reverse.from_tier.key, reverse.to_tier.key) == (
            "P-001",
            "gold",
            "gold",
        )
        assert RecalculationRun.objects.filter(undone_at__isnull=False).count() == 1
    assert tiers_now(program) == standing_before
    assert len(history(program)) == len(history_before) + 2

    with scope(tenant=program.tenant), pytest.raises(RecalculationRefused, match="no run to undo"):
        recalculation_undo(program=Program.objects.get())  # once
    nightly(D(2027, 1, 1))  # the date runs again as if never run
    assert tiers_now(program)["P-001"] == ("gold", D(2027, 1, 1))


def test_clearing_an_override_restores_the_tier_and_risk_it_had(program, time_machine):
    from partners.models import Partner
    from tiers.models import PlacementChange, Tier
    from tiers.services import NoOverride, placement_override_clear

    time_machine.move_to(LATER_TODAY)
    load(program, grace_days=30)
    gold_facts(program)
    run(program, on=D(2026, 11, 1))
    run(program, on=D(2027, 1, 1))
    assert tiers_now(program)["P-001"] == ("gold", D(2027, 1, 1))
    with scope(tenant=program.tenant):
        partner = Partner.objects.get(ref="P-001")
        placement_override(
            partner=partner,
            tier=Tier.objects.get(key="silver"),
            until=D(2027, 9, 1),
            reason="typo",
            by=None,
            today=D(2027, 6, 15),
        )
        resell = Program.objects.get()
        placement_override_clear(partner=partner, program=resell, today=D(2027, 6, 15))
        cleared = PlacementChange.objects.get(reason="override_cleared")
        assert (cleared.from_tier.key, cleared.to_tier.key) == ("silver", "gold")
        with pytest.raises(NoOverride, match="has no override to end"):
            placement_override_clear(partner=partner, program=resell, today=D(2027, 6, 15))
    assert tiers_now(program)["P-001"] == ("gold", D(2027, 1, 1)), "back where it stood"
