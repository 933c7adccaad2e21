"""Program governance: demotions limited to review dates, and demotions that wait for a
manager's approval (approved: effective that day; held: an override), with the audit trail."""

import pytest
from django_scopes import scope

from partnerhub.tenancy.models import AuditEntry, Tenant
from tiers.engine import Standing, TierRule, next_review_on, place
from tiers.governance import DecisionRefused, demotion_approve, demotion_hold
from tiers.models import Notice, PendingDemotion, PendingStatus, Placement, Program
from tiers.services import placements_recalculate

from .conftest import D, history, load, set_values, tiers_now

# --- the pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "due", "fiscal_start", "review"),
    [
        ("any", D(2026, 10, 5), 1, D(2026, 10, 5)),
        ("quarterly", D(2026, 10, 5), 1, D(2027, 1, 1)),
        ("quarterly", D(2026, 10, 1), 1, D(2026, 10, 1)),  # a review date itself
        ("quarterly", D(2026, 10, 5), 2, D(2026, 11, 1)),
        ("quarterly", D(2026, 12, 31), 11, D(2027, 2, 1)),
        ("yearly", D(2026, 10, 5), 4, D(2027, 4, 1)),
        ("yearly", D(2026, 3, 31), 4, D(2026, 4, 1)),
        ("yearly", D(2026, 1, 1), 1, D(2026, 1, 1)),
    ],
)
def test_a_due_demotion_waits_for_the_next_fiscal_review_date(policy, due, fiscal_start, review):
    assert next_review_on(policy, due, fiscal_start=fiscal_start) == review


@pytest.mark.parametrize(
    ("joined_on", "due", "review"),
    [
        (D(2024, 1, 15), D(2026, 10, 5), D(2027, 1, 15)),
        (D(2024, 1, 15), D(2026, 1, 15), D(2026, 1, 15)),
        (D(2024, 2, 29), D(2026, 10, 5), D(2027, 2, 28)),  # no 29 February in 2027
        (D(2024, 2, 29), D(2027, 3, 1), D(2028, 2, 29)),
    ],
)
def test_an_anniversary_review_falls_on_the_day_the_partner_joined(joined_on, due, review):
    assert next_review_on("anniversary", due, joined_on=joined_on) == review


SILVER, REGISTERED = TierRule("silver", 1, None), TierRule("registered", 0, None)


def demote(current, on, grace_days=0, review=None):
    return place(
        current=current,
        qualified=REGISTERED,
        override=None,
        override_until=None,
        grace_days=grace_days,
        on=on,
        review=review,
    )


def test_with_review_dates_a_partner_waits_at_risk_and_moves_on_the_review_date():
    quarterly = lambda due: next_review_on("quarterly", due, fiscal_start=2)  # noqa: E731
    first = demote(Standing("silver", 1), D(2026, 10, 5), review=quarterly)
    assert (first.standing, first.became_at_risk) == (Standing("silver", 1, D(2026, 10, 5)), True)
    waiting = demote(first.standing, D(2026, 10, 31), review=quarterly)
    assert (waiting.standing.tier, waiting.reason) == ("silver", None)
    moved = demote(first.standing, D(2026, 11, 1), review=quarterly)
    assert (moved.standing.tier, moved.reason) == ("registered", "demotion")
    on_review_day = demote(Standing("silver", 1), D(2026, 11, 1), review=quarterly)
    assert on_review_day.reason == "demotion", "due on a review date: at once"
    after_grace = demote(Standing("silver", 1, D(2026, 9, 1)), D(2026, 10, 2), 30, quarterly)
    assert after_grace.reason is None, "grace over on 1 October, but the review is 1 November"
    assert demote(Standing("silver", 1, D(2026, 9, 1)), D(2026, 11, 2), 30, quarterly).reason == (
        "grace_expiry"
    )
    assert demote(Standing("silver", 1), D(2026, 10, 5)).reason == "demotion", (
        "no review: as before"
    )


# --- on PostgreSQL ------------------------------------------------------------------------------


def run(world, on):
    with scope(tenant=world.tenant):
        return placements_recalculate(program=Program.objects.get(), as_of=on)


def silver_until_october(world):
    """P-002 is Silver on its September 2025 revenue until the window leaves it behind, from the
    evaluations of October 2026 on."""
    set_values(world, "P-002", "revenue", {"2025-09": "100000"})


def p002_waiting_for_approval(world) -> PendingDemotion:
    load(world, demotion_approval=True)
    silver_until_october(world)
    run(world, D(2026, 9, 20))
    run(world, D(2026, 10, 5))
    with scope(tenant=world.tenant):
        return PendingDemotion.objects.get()


def test_demotions_wait_for_the_fiscal_quarter_and_say_when(acme, globex):
    Tenant.objects.filter(pk=acme.tenant.pk).update(fiscal_year_start=2)
    for world in (acme, globex):
        load(world, demotions="quarterly" if world is acme else "any")
        silver_until_october(world)
        run(world, D(2026, 9, 20))
        run(world, D(2026, 10, 5))
    assert tiers_now(acme)["P-002"] == ("silver", D(2026, 10, 5))
    assert tiers_now(globex)["P-002"] == ("registered", None), "the same refs, demoted at once"
    with scope(tenant=acme.tenant):
        at_risk = Placement.objects.get(partner__ref="P-002")
        from tiers.models import PlacementChange

        entry = PlacementChange.objects.get(partner__ref="P-002", reason="at_risk")
    assert entry.takes_effect_on == D(2026, 11, 1), "the next review date, not the grace end"
    assert at_risk.tier.key == "silver"
    run(acme, D(2026, 10, 31))
    assert tiers_now(acme)["P-002"] == ("silver", D(2026, 10, 5))
    run(acme, D(2026, 11, 1))
    assert tiers_now(acme)["P-002"] == ("registered", None)
    assert ("P-002", D(2026, 11, 1), "silver", "registered", "demotion") in history(acme)


def test_a_demotion_waits_for_approval_and_takes_effect_the_day_it_is_approved(
    acme, globex, django_capture_on_commit_callbacks
):
    for world in (acme, globex):
        load(world, demotion_approval=True)
        silver_until_october(world)
        set_values(world, "P-003", "revenue", {"2025-09": "100000"})
        run(world, D(2026, 9, 20))
    with django_capture_on_commit_callbacks(execute=True):
        summary = run(acme, D(2026, 10, 5))
    assert summary.awaiting_approval == 2 and summary.demoted == 0
    with scope(tenant=acme.tenant):
        asked = Notice.objects.filter(user=acme.manager.user, link="/o/acme/tiers/approvals/")
        assert sorted(asked.values_list("text", flat=True)) == [
            "Acme P-002: the move from Silver to Registered waits for your decision.",
            "Acme P-003: the move from Silver to Registered waits for your decision.",
        ]
    assert tiers_now(acme)["P-002"] == ("silver", D(2026, 10, 5)), "at risk, still Silver"
    run(acme, D(2026, 10, 6))
    set_values(acme, "P-003", "revenue", {"2026-09": "100000"})  # P-003 qualifies again
    run(acme, D(2026, 10, 7))
    with scope(tenant=acme.tenant):
        queue = {p.partner.ref: p.status for p in PendingDemotion.objects.select_related("partner")}
        pending = PendingDemotion.objects.get(partner__ref="P-002")
        told_before = Notice.objects.filter(event__startswith=f"placement:{pending.partner_id}:")
        told_before = list(told_before.values_list("text", flat=True))
    assert queue == {"P-002": PendingStatus.PENDING, "P-003": PendingStatus.WITHDRAWN}
    assert (pending.due_on, pending.seen_on, pending.to_tier.key) == (
        D(2026, 10, 5),
        D(2026, 10, 7),
        "registered",
    )
    assert not any("Registered" in text for text in told_before), (
        "nobody is told of a demotion that has not happened"
    )
    at_risk = acme.client_for(acme.manager).get(f"/o/acme/partners/{pending.partner_id}/")
    assert "a partner manager reviews the move to a lower tier" in at_risk.content.decode()

    with scope(tenant=acme.tenant), django_capture_on_commit_callbacks(execute=True):
        demotion_approve(pending_id=pending.pk, by=acme.manager.user, today=D(2026, 10, 9))
    assert tiers_now(acme)["P-002"] == ("registered", None)
    assert ("P-002", D(2026, 10, 9), "silver", "registered", "demotion") in history(acme)
    with scope(tenant=acme.tenant):
        pending.refresh_from_db()
        assert (pending.status, pending.decided_by, pending.decided_on) == (
            PendingStatus.APPROVED,
            acme.manager.user,
            D(2026, 10, 9),
        )
        audit = AuditEntry.objects.get()
        assert Notice.objects.filter(user=acme.manager.user, text__contains="Registered").exists()
        with pytest.raises(DecisionRefused, match="already decided"):
            demotion_approve(pending_id=pending.pk, by=acme.manager.user, today=D(2026, 10, 9))
    assert (audit.action, audit.actor, audit.subject) == (
        "demotion.approved",
        acme.manager.user,
        "Acme P-002: Silver → Registered",
    )
    with scope(tenant=globex.tenant):
        assert not AuditEntry.objects.exists()
        assert PendingDemotion.objects.count() == 0, "Globex did not run October yet"


def test_a_held_demotion_is_an_override_until_its_date_with_the_reason(acme):
    pending = p002_waiting_for_approval(acme)
    with scope(tenant=acme.tenant):
        with pytest.raises(DecisionRefused, match="Say why"):
            demotion_hold(
                pending_id=pending.pk,
                by=acme.manager.user,
                until=D(2026, 12, 31),
                reason=" ",
                today=D(2026, 10, 6),
            )
        demotion_hold(
            pending_id=pending.pk,
            by=acme.manager.user,
            until=D(2026, 12, 31),
            reason="New region, give it a quarter",
            today=D(2026, 10, 6),
        )
        placement = Placement.objects.get(partner__ref="P-002")
        audit = AuditEntry.objects.get()
    assert (placement.override_tier.key, placement.override_until) == ("silver", D(2026, 12, 31))
    assert placement.override_reason == "New region, give it a quarter"
    assert audit.action == "demotion.held" and audit.detail["until"] == "2026-12-31"
    run(acme, D(2026, 10, 20))
    with scope(tenant=acme.tenant):
        assert PendingDemotion.objects.filter(status=PendingStatus.PENDING).count() == 0, (
            "held at Silver: no new demotion falls due"
        )
    assert tiers_now(acme)["P-002"][0] == "silver"


def test_an_admin_reads_the_audit_trail_and_the_history_says_who_approved(acme):
    pending = p002_waiting_for_approval(acme)
    manager = acme.client_for(acme.manager)
    assert manager.get("/o/acme/audit/").status_code in (403, 404), "admins only"
    queue = manager.get("/o/acme/tiers/approvals/").content.decode()
    assert "Silver → Registered" in queue and "No longer meets Silver" in queue
    manager.post(f"/o/acme/tiers/approvals/{pending.pk}/", {"action": "approve"})
    trail = acme.client_for(acme.admin).get("/o/acme/audit/").content.decode()
    assert "demotion.approved" in trail and "Acme P-002: Silver → Registered" in trail
    page = manager.get(f"/o/acme/partners/{pending.partner_id}/").content.decode()
    assert 'Demotion <span class="muted">by ' in page


def test_an_admin_sets_the_governance_and_a_version_records_it(acme):
    program = load(acme)
    client = acme.client_for(acme.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/governance/"
    assert acme.client_for(acme.manager).get(url).status_code in (403, 404)
    wrong = client.post(url, {"demotions": "monthly", "fiscal_year_start": "13"})
    assert set(wrong.context["form"].errors) == {"demotions", "fiscal_year_start"}
    saved = client.post(
        url,
        {"demotions": "quarterly", "demotion_approval": "on", "fiscal_year_start": "4"},
        follow=True,
    )
    assert "Saved as criteria version 2." in saved.content.decode()
    assert "first day of each fiscal quarter, once a manager approves" in saved.content.decode()
    with scope(tenant=acme.tenant):
        program.refresh_from_db()
        version = program.versions.get(number=2)
        audit = AuditEntry.objects.get()
    assert (program.demotions, program.demotion_approval) == ("quarterly", True)
    assert version.changes == ["Demotions: any → quarterly.", "Demotion approval: off → on."]
    assert Tenant.objects.get(pk=acme.tenant.pk).fiscal_year_start == 4
    assert audit.subject == "Fiscal year start: month 1 → 4"
