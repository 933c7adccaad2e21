import datetime

import pytest
from django_scopes import scope

from tiers.models import CriteriaVersion, Placement, Program
from tiers.services import placements_recalculate

from .conftest import TODAY, certify, set_values


def evaluate(world, on=TODAY):
    with scope(tenant=world.tenant):
        placements_recalculate(program=Program.objects.get(key="resell"), as_of=on)


@pytest.fixture
def silver_partner(program):
    set_values(program, "P-001", "revenue", {"2026-01": "150000", "2026-09": "58000"})
    set_values(program, "P-001", "csat", {"2026-09": "4.6"})
    certify(program, "P-001", "ann@p.test")
    evaluate(program)
    return program


def test_the_partner_home_shows_tier_benefits_and_what_is_missing_for_the_next(silver_partner):
    page = silver_partner.client_for(silver_partner.partner_user).get("/o/acme/").content.decode()
    assert 'class="tier-badge"' in page and ">Silver</span>" in page
    assert "Deal registration discount" in page and "Market development funds" in page
    assert "Missing: EUR 42,000 more revenue in the last 12 months" in page
    assert "Missing: 1 more Sales Professional" in page
    assert "✓ Met" in page, "the CSAT average is met"
    assert "no tier → Silver" in page


def test_an_at_risk_partner_sees_the_date_the_move_takes_effect(silver_partner):
    from .conftest import load

    load(silver_partner, grace_days=45)
    set_values(silver_partner, "P-001", "revenue", {"2026-01": "0"})
    evaluate(silver_partner, on=TODAY.replace(day=23))
    page = silver_partner.client_for(silver_partner.partner_user).get("/o/acme/").content.decode()
    assert "takes effect when the grace period ends, on <strong>7 January 2027</strong>" in page
    keep = page[page.index("To keep Silver") :]
    assert "Missing: EUR 42,000 more revenue in the last 12 months" in keep, (
        "an at-risk partner sees what keeping its tier needs, not only the next tier"
    )


def test_the_manager_sees_the_whole_standing_on_the_partner_page(silver_partner):
    from .conftest import load

    load(silver_partner, grace_days=45)
    set_values(silver_partner, "P-001", "revenue", {"2026-01": "0"})
    evaluate(silver_partner, on=TODAY.replace(day=23))
    with scope(tenant=silver_partner.tenant):
        partner = silver_partner.partners["P-001"]
    client = silver_partner.client_for(silver_partner.manager)
    page = client.get(f"/o/acme/partners/{partner.pk}/").content.decode()
    assert ">Silver</span>" in page, "the tier"
    assert "Qualifies for: <strong>Registered</strong>" in page and "the grace period" in page
    assert "At risk since 23 November 2026" in page and "7 January 2027" in page
    assert "To keep Silver" in page and "Toward Gold" in page, "progress per condition"
    assert "Silver at risk until 7 Jan 2027" in page, "the history"


def test_editing_only_benefits_does_not_say_the_criteria_changed(silver_partner):
    from tiers.programs import tier_benefits_save, tier_rule_save

    partner_home = silver_partner.client_for(silver_partner.partner_user)
    notice = "The criteria changed after the last evaluation"
    assert notice not in partner_home.get("/o/acme/").content.decode()
    with scope(tenant=silver_partner.tenant):
        silver = Program.objects.get().tiers.get(key="silver")
        tier_benefits_save(tier=silver, benefits=[{"title": "Bigger discount"}], by=None)
    assert notice not in partner_home.get("/o/acme/").content.decode()
    with scope(tenant=silver_partner.tenant):
        rule = {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 90000}
        tier_rule_save(tier=silver, rule=rule, by=None)
    assert notice in partner_home.get("/o/acme/").content.decode()


def test_partner_home_and_tier_pages_run_a_fixed_number_of_queries(
    silver_partner, django_assert_max_num_queries
):
    from tests.factories import PartnerFactory

    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        for n in range(30):
            PartnerFactory(tenant=silver_partner.tenant, ref=f"Q-{n}", program=program)
    evaluate(silver_partner, on=TODAY.replace(day=24))
    partner_client = silver_partner.client_for(silver_partner.partner_user)
    manager_client = silver_partner.client_for(silver_partner.manager)
    # each limit counts the header bell's unread count (one query on every page); the partner
    # home also reads the courses that earn a missing certification (one query)
    for client, url, limit in [
        (partner_client, "/o/acme/", 18),
        (manager_client, "/o/acme/tiers/", 17),
        (manager_client, f"/o/acme/partners/{silver_partner.partner.pk}/", 19),
        (manager_client, f"/o/acme/tiers/programs/{program.pk}/", 11),
    ]:
        client.get(url)
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def rule_post(**overrides):
    """What the rule builder posts for "revenue total over 12 months is at least 200,000"."""
    data = {
        "node::combinator": "all",
        "node:0:type": "metric",
        "node:0:metric": "revenue",
        "node:0:agg": "sum",
        "node:0:window": "12",
        "node:0:op": ">=",
        "node:0:value": "200,000",
    }
    data.update(overrides)
    return data


def test_the_what_if_preview_counts_movers_and_writes_nothing(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
        before = list(Placement.objects.values_list("partner_id", "tier_id"))
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    proposal = rule_post(action="preview", **{"node:0:value": "250000"})
    response = client.post(url, proposal, headers={"HX-Request": "true"})
    result = response.context["result"]
    assert [
        (c.partner_ref, c.partner_name, c.from_tier, c.to_tier, c.reason) for c in result.changes
    ] == [("P-001", "Acme P-001", "silver", "registered", "demotion")]
    assert result.transitions == {("silver", "registered"): 1, ("registered", "registered"): 2}
    assert "What if: 1 partner would change" in response.content.decode()
    with scope(tenant=silver_partner.tenant):
        assert list(Placement.objects.values_list("partner_id", "tier_id")) == before
        assert Program.objects.get().version == 1


def test_a_stricter_tier_under_grace_shows_who_would_become_at_risk(silver_partner):
    from .conftest import load

    program = load(silver_partner, grace_days=30)
    with scope(tenant=silver_partner.tenant):
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    proposal = rule_post(action="preview", **{"node:0:value": "250000"})
    response = client.post(url, proposal, headers={"HX-Request": "true"})
    result = response.context["result"]
    assert (result.newly_at_risk, result.demoted) == (1, 0)
    page = response.content.decode()
    assert "What if: 1 partner would change" in page, "at risk counts as a change, not as 0"
    today = silver_partner.tenant.local_today()
    grace_end = today + datetime.timedelta(days=30)
    assert f"at risk: moves down on {grace_end:%-d %b %Y}" in page


def test_a_what_if_with_the_saved_criteria_is_the_dry_run(silver_partner):
    from tiers.services import placements_recalculate

    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
        set_values(silver_partner, "P-002", "revenue", {"2026-10": "130000"})
        today = silver_partner.tenant.local_today()
        dry_run = placements_recalculate(program=program, as_of=today, dry_run=True)
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    saved = rule_post(action="preview", **{"node:0:value": "100000"})  # as saved
    result = client.post(url, saved, headers={"HX-Request": "true"}).context["result"]
    assert result.changes == dry_run.changes and result.transitions == dry_run.transitions
    assert [(c.partner_ref, c.reason) for c in result.changes] == [("P-002", "promotion")]


def test_the_editor_warns_when_a_tier_would_be_easier_than_the_one_below(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    proposal = rule_post(action="preview", **{"node:0:value": "300000"})
    page = client.post(url, proposal, headers={"HX-Request": "true"}).content.decode()
    assert "Check: tier gold asks for less than the lower tier silver" in page


def test_the_editor_names_the_wrong_part_next_to_it_and_saving_makes_a_version(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    bad = client.post(url, rule_post(**{"node:0:window": "40", "action": "save"}))
    assert bad.context["problems"] == {(0,): {"window": "A whole number from 1 to 36."}}
    page = bad.content.decode()
    assert 'id="rb-0-window-problem">A whole number from 1 to 36.</span>' in page
    assert 'aria-invalid="true" aria-describedby="rb-0-window-problem"' in page
    typo = client.post(url, rule_post(**{"node:0:metric": "revenu", "action": "save"}))
    assert typo.context["problems"] == {
        (0,): {"metric": "There is no metric “revenu” (did you mean “revenue”?)."}
    }
    comma = client.post(url, rule_post(**{"node:0:value": "1,5", "action": "save"}))
    assert comma.context["problems"][(0,)]["value"] == (
        "“1,5” is not a number. Use a point for decimals; commas only group thousands."
    )
    grouped = rule_post(
        **{
            "action": "save",
            "node:1:type": "group",
            "node:1:combinator": "any",
            "node:1.0:type": "certification",
            "node:1.0:certification": "sales-pro",
            "node:1.0:min": "1",
            "node:1.1:type": "metric",
            "node:1.1:metric": "csat",
            "node:1.1:agg": "avg",
            "node:1.1:window": "6",
            "node:1.1:op": ">=",
            "node:1.1:value": "4.5",
        }
    )
    assert client.post(url, grouped).status_code == 302
    with scope(tenant=silver_partner.tenant):
        silver.refresh_from_db()
        assert silver.rule == {
            "all": [
                {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": "200000"},
                {
                    "any": [
                        {"certification": "sales-pro", "min": 1},
                        {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "4.5"},
                    ]
                },
            ]
        }
        version = CriteriaVersion.objects.get(number=2)
    assert version.created_by == silver_partner.admin.user
    assert version.changes[0].startswith(
        "Tier silver rule: sum of revenue over 12 months >= 100000 → ("
    )
    page = client.get(url).content.decode()
    assert 'name="node:0:value" id="rb-0-value" value="200,000"' in page, "grouped, as typed"
    assert 'name="node:1.1:value" id="rb-1-1-value" value="4.5"' in page
    assert "Group 2:" in page and "Condition 2.1: certification" in page


def test_managers_cannot_edit_criteria_but_can_override(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        gold = program.tiers.get(key="gold")
    client = silver_partner.client_for(silver_partner.manager)
    assert (
        client.get(f"/o/acme/tiers/programs/{program.pk}/tiers/{gold.pk}/criteria/").status_code
        == 403
    )
    url = f"/o/acme/partners/{silver_partner.partner.pk}/override/"
    response = client.post(
        url, {"tier": gold.pk, "until": "2020-01-01", "reason": "x", "action": "set"}
    )
    assert "The override must end after today." in response.content.decode()
    response = client.post(
        url, {"tier": gold.pk, "until": "2099-01-01", "reason": "Launch partner", "action": "set"}
    )
    assert response.status_code == 302
    with scope(tenant=silver_partner.tenant):
        placement = Placement.objects.get(partner=silver_partner.partner)
    assert (placement.tier, placement.override_by) == (gold, silver_partner.manager.user)
    dashboard = client.get("/o/acme/tiers/").content.decode()
    assert "Launch partner" in dashboard and "1 Jan 2099" in dashboard


def test_the_partner_list_filters_by_tier_and_at_risk(silver_partner, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC))
    from .conftest import load

    with scope(tenant=silver_partner.tenant):
        silver = Program.objects.get().tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.manager)
    by_tier = client.get("/o/acme/partners/", {"tier": silver.pk}).context["page"]
    assert [p.ref for p in by_tier] == ["P-001"]
    assert client.get("/o/acme/partners/", {"at_risk": "on"}).context["page"].count == 0
    load(silver_partner, grace_days=10)
    set_values(silver_partner, "P-001", "revenue", {"2026-01": "0"})
    evaluate(silver_partner, on=TODAY.replace(day=25))
    at_risk = client.get("/o/acme/partners/", {"at_risk": "on"})
    assert [p.ref for p in at_risk.context["page"]] == ["P-001"]
    assert "at risk, grace ends 5 Dec</span>" in at_risk.content.decode()


def test_a_bad_preview_marks_each_problem_in_the_builder_and_previews_nothing(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    response = client.post(
        url,
        rule_post(action="preview", **{"node:0:metric": "", "node:0:value": ""}),
        headers={"HX-Request": "true"},
    )
    assert "result" not in response.context
    assert response.context["problems"] == {
        (0,): {"metric": "Choose a metric.", "value": "Enter a number."}
    }
    page = response.content.decode()
    assert "the 2 problems marked in the rule are fixed" in page
    assert '<div id="rule-builder" class="card rule-builder" hx-swap-oob="true">' in page


def test_an_admin_starts_a_run_and_watches_it(silver_partner, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from tiers.models import RecalculationRun
    from tiers.tasks import run_progress_key

    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        running = RecalculationRun.objects.create(
            tenant=silver_partner.tenant, program=program, as_of=TODAY, status="running"
        )
    cache.set(run_progress_key(running.pk), 40)
    client = silver_partner.client_for(silver_partner.admin)
    row = client.get(
        f"/o/acme/tiers/runs/{running.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "40 % of partners evaluated" in row and 'hx-trigger="every 1s"' in row

    tomorrow = silver_partner.tenant.local_today()
    with scope(tenant=silver_partner.tenant):
        Program.objects.update(last_evaluated_on=None)
    confirm = client.get(f"/o/acme/tiers/programs/{program.pk}/run/").content.decode()
    assert "evaluates <strong>3 partners</strong>" in confirm
    assert "get an e-mail" in confirm
    with scope(tenant=silver_partner.tenant):
        assert not RecalculationRun.objects.exclude(pk=running.pk).exists(), "asking starts nothing"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/acme/tiers/programs/{program.pk}/run/", follow=True)
    assert (
        f"Recalculation of Reseller Program for {tomorrow:%d %B %Y} started."
        in response.content.decode()
    )
    with scope(tenant=silver_partner.tenant):
        latest = RecalculationRun.objects.order_by("-pk").first()
    assert (latest.status, latest.started_by) == ("done", silver_partner.admin.user)
    assert latest.summary["evaluated"] == 3


def test_an_admin_edits_a_tiers_benefits_and_partners_see_them(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/benefits/"
    data = {
        "benefits-TOTAL_FORMS": "3",
        "benefits-INITIAL_FORMS": "1",
        "benefits-MIN_NUM_FORMS": "0",
        "benefits-MAX_NUM_FORMS": "1000",
        "benefits-0-title": "Deal registration discount",
        "benefits-0-kind": "discount",
        "benefits-0-value": "15 %",
        "benefits-0-description": "",
        "benefits-1-title": "Quarterly business review",
        "benefits-1-kind": "support",
        "benefits-1-value": "",
        "benefits-1-description": "With your account manager",
        "benefits-2-title": "",
        "benefits-2-kind": "other",
        "benefits-2-value": "",
        "benefits-2-description": "",
    }
    response = client.post(url, data, follow=True)
    assert "Silver benefits saved as version 2." in response.content.decode()
    with scope(tenant=silver_partner.tenant):
        assert list(silver.benefits.values_list("title", "value")) == [
            ("Deal registration discount", "15 %"),
            ("Quarterly business review", ""),
        ]
        assert CriteriaVersion.objects.get(number=2).changes == [
            "Tier silver benefits: Deal registration discount (10 %) → "
            "Deal registration discount (15 %), Quarterly business review."
        ]
    home = silver_partner.client_for(silver_partner.partner_user).get("/o/acme/").content.decode()
    assert "Quarterly business review" in home and "15 %" in home
    bad = client.post(url, {**data, "benefits-1-kind": "cashback"}).content.decode()
    assert "Benefit 2: Select a valid choice. cashback is not one of the available choices." in bad
    bad = client.post(url, {**data, "benefits-0-value": "fifteen"}).content.decode()
    assert "Benefit 1: A discount is a percentage above 0 and up to 100" in bad


def test_the_override_page_says_what_happens_when_it_ends_and_what_ending_it_does(
    silver_partner,
):
    client = silver_partner.client_for(silver_partner.manager)
    with scope(tenant=silver_partner.tenant):
        partner = silver_partner.partners["P-001"]
        gold = Program.objects.get().tiers.get(key="gold")
    url = f"/o/acme/partners/{partner.pk}/override/"
    nothing = client.post(url, {"action": "clear"}, follow=True).content.decode()
    assert "Acme P-001 has no override to end in" in nothing
    assert "override of Acme P-001 ended" not in nothing

    page = client.get(url).content.decode()
    assert "it moves at once to the tier it qualifies for" in page
    assert (
        ">Silver</span>; it qualifies for <strong>Silver</strong> on its latest evaluation" in page
    )
    client.post(url, {"action": "set", "tier": gold.pk, "until": "2099-01-01", "reason": "Launch"})
    page = client.get(url).content.decode()
    assert "Held at <strong>Gold</strong> until 1 January 2099" in page
    assert "goes back to Silver, where it stood before the override" in page
    ended = client.post(url, {"action": "clear"}, follow=True).content.decode()
    assert "The override of Acme P-001 ended: back at Silver." in ended


def test_an_admin_undoes_the_latest_run_from_the_dashboard(silver_partner):
    from tiers.models import RecalculationRun
    from tiers.services import recalculation_create, recalculation_run

    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        set_values(silver_partner, "P-002", "revenue", {"2026-10": "130000"})
        recalculation_run(run=recalculation_create(program=program, as_of=TODAY.replace(day=23)))
    assert tiers_of(silver_partner)["P-002"] == "silver"
    client = silver_partner.client_for(silver_partner.admin)
    response = client.get("/o/acme/tiers/")
    newest_first = [(change.on.day, change.reason) for change in response.context["movements"]]
    assert newest_first[0] == (23, "promotion") and {day for day, _ in newest_first[1:]} == {22}
    dashboard = response.content.decode()
    assert "Undo the run of 23 Nov…" in dashboard
    confirm = client.get(f"/o/acme/tiers/programs/{program.pk}/undo/").content.decode()
    assert "evaluated 3 partners" in confirm
    done = client.post(f"/o/acme/tiers/programs/{program.pk}/undo/", follow=True).content.decode()
    assert "The run of 23 November 2026 is undone; every partner is back." in done
    assert tiers_of(silver_partner)["P-002"] == "registered"
    with scope(tenant=silver_partner.tenant):
        assert RecalculationRun.objects.get().undone_at is not None
    manager = silver_partner.client_for(silver_partner.manager)
    assert manager.post(f"/o/acme/tiers/programs/{program.pk}/undo/").status_code == 403


def tiers_of(world) -> dict[str, str | None]:
    with scope(tenant=world.tenant):
        return {
            p.partner.ref: p.tier.key if p.tier else None
            for p in Placement.objects.select_related("partner", "tier")
        }


def test_the_dashboard_lists_the_run_and_counts_first_placements_as_placed(program):
    from tiers.services import recalculation_create, recalculation_run

    with scope(tenant=program.tenant):
        recalculation_run(run=recalculation_create(program=Program.objects.get(), as_of=TODAY))
    page = program.client_for(program.manager).get("/o/acme/tiers/").content.decode()
    assert "No run yet" not in page
    assert "3 evaluated, 3 placed, 0 promoted, 0 demoted, 0 newly at risk" in page
    assert "<strong>3</strong> placed · <strong>0</strong> promoted" in page


def test_a_missing_certification_links_to_the_courses_that_earn_it(silver_partner):
    from training.models import Certification, Course, CourseStatus

    with scope(tenant=silver_partner.tenant):
        certification = Certification.objects.get(key="sales-pro")
        published = Course.objects.create(
            tenant=silver_partner.tenant,
            key="selling",
            title="Consultative selling",
            status=CourseStatus.PUBLISHED,
        )
        draft = Course.objects.create(
            tenant=silver_partner.tenant, key="draft", title="Unfinished course"
        )
        certification.courses.set([published, draft])
    client = silver_partner.client_for(silver_partner.partner_user)
    page = client.get("/o/acme/").content.decode()
    assert (
        f'Missing: 1 more Sales Professional — earned with <a href="/o/acme/training/courses/'
        f'{published.pk}/">Consultative selling</a>'
    ) in page
    assert "Unfinished course" not in page


def test_the_builder_saves_a_points_rule_with_growth_and_a_fiscal_window(silver_partner):
    with scope(tenant=silver_partner.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
    client = silver_partner.client_for(silver_partner.admin)
    url = f"/o/acme/tiers/programs/{program.pk}/tiers/{silver.pk}/criteria/"
    added = client.post(url, rule_post(edit="add-points:"), headers={"HX-Request": "true"})
    page = added.content.decode()
    assert "Points 2: the partner's points" in page and "+ Points when conditions hold" in page
    points = {
        "node:1:type": "points",
        "node:1:op": ">=",
        "node:1:value": "30",
        "node:1.0:type": "per",
        "node:1.0:metric": "revenue",
        "node:1.0:agg": "growth",
        "node:1.0:window": "12",
        "node:1.0:per": "5",
        "node:1.0:add": "10",
        "node:1.0:max": "20",
        "node:1.1:type": "when",
        "node:1.1:combinator": "all",
        "node:1.1:add": "15",
        "node:1.1.0:type": "metric",
        "node:1.1.0:metric": "revenue",
        "node:1.1.0:agg": "sum",
        "node:1.1.0:window": "fytd",
        "node:1.1.0:op": ">=",
        "node:1.1.0:value": "50,000",
    }
    wrong = client.post(url, rule_post(action="save", **(points | {"node:1.0:per": "0"})))
    assert wrong.context["problems"] == {(1, 0): {"per": "A step above 0."}}
    fiscal_growth = client.post(
        url, rule_post(action="save", **(points | {"node:1.0:window": "fytd"}))
    )
    assert fiscal_growth.context["problems"] == {
        (1, 0): {"window": "Growth compares a number of months with as many before."}
    }
    preview = client.post(
        url, rule_post(action="preview", **points), headers={"HX-Request": "true"}
    )
    assert preview.status_code == 200 and "points (" in preview.content.decode()
    assert client.post(url, rule_post(action="save", **points)).status_code == 302
    with scope(tenant=silver_partner.tenant):
        silver.refresh_from_db()
        assert silver.rule["all"][1] == {
            "points": [
                {
                    "metric": "revenue",
                    "agg": "growth",
                    "window": 12,
                    "per": "5",
                    "add": "10",
                    "max": "20",
                },
                {
                    "when": {
                        "all": [
                            {
                                "metric": "revenue",
                                "agg": "sum",
                                "window": "fytd",
                                "op": ">=",
                                "value": "50000",
                            }
                        ]
                    },
                    "add": "15",
                },
            ],
            "op": ">=",
            "value": "30",
        }
    again = client.get(url).content.decode()
    assert 'name="node:1.0:max" id="rb-1-0-max" value="20"' in again
    assert '<option value="fytd" selected>this fiscal year so far</option>' in again
    tampered = client.post(
        url,
        rule_post(
            action="save", **points, **{"node:1.2:type": "metric", "node:1.2:metric": "revenue"}
        ),
    )
    assert "The rule was not read: part 2.3 cannot be a metric inside a points" in (
        tampered.content.decode()
    )


def test_every_page_of_the_load_script_makes_the_same_queries_with_more_partners(silver_partner):
    """The pages bench/ drives under load: the partner list (plain, searched, filtered,
    sorted, a later page), a partner page, the tier dashboard and the partner home read the
    same number of queries for 33 partners as for 73."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PartnerFactory

    partner_pk = silver_partner.partner.pk
    manager = silver_partner.client_for(silver_partner.manager)
    partner = silver_partner.client_for(silver_partner.partner_user)
    pages = [
        (manager, "/o/acme/partners/"),
        (manager, "/o/acme/partners/?q=p-0"),
        (manager, "/o/acme/partners/?tier=silver&status=active"),
        (manager, "/o/acme/partners/?sort=-name"),
        (manager, f"/o/acme/partners/{partner_pk}/"),
        (manager, "/o/acme/tiers/"),
        (partner, "/o/acme/"),
    ]

    def add_partners(prefix):
        with scope(tenant=silver_partner.tenant):
            program = Program.objects.get()
            for n in range(40):
                PartnerFactory(
                    tenant=silver_partner.tenant, ref=f"P-0{prefix}{n:02d}", program=program
                )

    def queries():
        counts = []
        for client, url in pages:
            client.get(url)  # the session's first read is not what a page costs
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
        return counts

    add_partners("A")
    evaluate(silver_partner, on=TODAY.replace(day=23))
    at_33 = queries()
    add_partners("B")
    evaluate(silver_partner, on=TODAY.replace(day=24))
    assert queries() == at_33
