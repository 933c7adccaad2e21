"""The rule language's newer parts: partner attributes, certification families, a minimum of
months with data, growth, fiscal windows and points. Exact, explained per condition, and spoken
alike by the engine, the program file, the builder and the nightly run. (The older parts' tests
stay untouched in test_engine.)"""

import copy
import datetime
from decimal import Decimal

import pytest
from django_scopes import scope

from partners.models import Partner
from tiers.engine import (
    CertificationCondition,
    PartnerCondition,
    PartnerFacts,
    RuleError,
    WindowStats,
    evaluate,
    parse_rule,
    rule_to_json,
    window_span,
)
from tiers.models import Placement, Program
from tiers.program_file import ProgramFileError
from tiers.rule_builder import Choices, draft_from_rule, draft_rule, rule_in_words, same_meaning
from tiers.services import placements_recalculate
from training.models import Certification, CertificationAward

from .conftest import PROGRAM, TODAY, load, set_values

MSP_ONLY = {"partner": "type", "in": ["msp", "var"]}
SECURITY = {"certification": ["sec-a", "sec-b"], "min": 2}
STEADY_CSAT = {
    "metric": "csat",
    "agg": "avg",
    "window": 12,
    "op": ">=",
    "value": "4",
    "min_months": 4,
}


def held(rule, facts) -> bool:
    return evaluate(parse_rule(rule), facts).held


# --- the engine ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partner_type", "holds"), [("msp", True), ("var", True), ("MSP", False), ("", False)]
)
def test_a_partner_attribute_holds_on_an_exact_match(partner_type, holds):
    facts = PartnerFacts(attributes={"type": partner_type, "region": "DACH"})
    assert held(MSP_ONLY, facts) is holds
    assert held({"partner": "region", "in": ["DACH"]}, facts)
    assert not held(MSP_ONLY, PartnerFacts()), "no attribute known: does not hold"


@pytest.mark.parametrize(("people", "holds"), [(1, False), (2, True), (3, True)])
def test_a_certification_family_counts_people_holding_any_of_it(people, holds):
    facts = PartnerFacts(certified={("sec-a", "sec-b"): people, "sec-a": 5})
    assert held(SECURITY, facts) is holds, "the family's own count, not one member's"


def csat_months(*values):
    numbers = [Decimal(v) for v in values]
    return PartnerFacts(
        metrics={
            ("csat", 12): WindowStats(
                total=sum(numbers, Decimal(0)),
                count=len(numbers),
                minimum=min(numbers),
                maximum=max(numbers),
                latest=numbers[-1],
            )
        }
    )


def test_too_few_months_with_data_fail_a_condition_the_value_would_meet():
    three = evaluate(parse_rule(STEADY_CSAT), csat_months("5", "5", "5"))
    assert (three.held, three.conditions[0].value) == (False, Decimal(5)), "value still explained"
    assert held(STEADY_CSAT, csat_months("4", "4", "4", "4")), "exactly at the minimum"
    assert not held(STEADY_CSAT, csat_months("4", "4", "4", "3.99"))
    without = {k: v for k, v in STEADY_CSAT.items() if k != "min_months"}
    assert held(without, csat_months("5", "5", "5")), "no minimum: as before"


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"partner": "tier", "in": ["msp"]}, "rule.partner", "must be one of type, region"),
        ({"partner": "type", "in": []}, "rule.in", "must be a non-empty list of keys"),
        ({"partner": "type", "in": ["msp", "msp"]}, "rule.in[1]", "repeats “msp”"),
        ({"partner": "type", "in": ["msp"], "value": 1}, "rule.value", "unknown field “value”"),
        ({"certification": [], "min": 1}, "rule.certification", "must be a non-empty list"),
        ({**STEADY_CSAT, "min_months": 13}, "rule.min_months", "from 1 to 12 (got 13)"),
        ({**STEADY_CSAT, "min_months": 0}, "rule.min_months", "from 1 to 12 (got 0)"),
    ],
)
def test_a_bad_new_part_is_refused_with_its_path(rule, path, message):
    with pytest.raises(RuleError) as refused:
        parse_rule(rule)
    assert refused.value.path == path and message in refused.value.message


def test_the_new_parts_come_back_as_written():
    rule = {"all": [MSP_ONLY, SECURITY, STEADY_CSAT, {"certification": "sec-a", "min": 1}]}
    parsed = parse_rule(rule)
    assert parsed.parts[0] == PartnerCondition("type", ("msp", "var"))
    assert parsed.parts[1] == CertificationCondition(("sec-a", "sec-b"), 2)
    assert rule_to_json(parsed) == rule


def test_the_builder_reads_and_writes_the_new_parts():
    rule = {"all": [MSP_ONLY, SECURITY, STEADY_CSAT]}
    choices = Choices(
        metrics={"csat": ("CSAT", "score")},
        certifications={"sec-a": "Security A", "sec-b": "Security B"},
        currency="EUR",
    )
    assert draft_rule(*draft_from_rule(rule), choices) == (rule, {})


# --- growth -----------------------------------------------------------------------------------


def revenue_growth(op, value, window=12, **extra):
    return {
        "metric": "revenue",
        "agg": "growth",
        "window": window,
        "op": op,
        "value": value,
    } | extra


def grown(current, previous, window=12, months=12):
    return PartnerFacts(
        metrics={("revenue", window): WindowStats(total=Decimal(current), count=months)},
        before={("revenue", window): WindowStats(total=Decimal(previous), count=window)},
    )


@pytest.mark.parametrize(
    ("current", "previous", "op", "value", "holds"),
    [
        ("110", "100", ">=", "10", True),  # exactly at the threshold
        ("110", "100", ">", "10", False),
        ("109.99", "100", ">=", "10", False),
        ("90", "100", ">=", "-10", True),  # shrinking, but no more than allowed
        ("4", "3", ">=", "33.3333333333333333333333333333", True),  # 33.33…%, compared exactly
        ("4", "3", ">=", "33.33333333333333333333333333334", False),
        ("50", "0", ">=", "0", False),  # nothing before: no growth to speak of
        ("50", "-10", ">=", "0", False),
        ("100", "100", "==", "0", True),
    ],
)
def test_growth_compares_the_window_with_as_many_months_before_exactly(
    current, previous, op, value, holds
):
    assert held(revenue_growth(op, value), grown(current, previous)) is holds


def test_growth_is_explained_in_percent_and_as_nothing_without_a_previous_window():
    decided = evaluate(parse_rule(revenue_growth(">=", 10)), grown("125", "100"))
    assert decided.conditions[0].value == Decimal("25.00")
    assert (
        evaluate(parse_rule(revenue_growth(">=", 10)), grown("5", "0")).conditions[0].value is None
    )
    steady = revenue_growth(">=", 10, min_months=6)
    assert not held(steady, grown("200", "100", months=5)), "min_months counts the window's months"
    assert held(steady, grown("200", "100", months=6))


# --- fiscal windows ---------------------------------------------------------------------------


D = M = datetime.date


@pytest.mark.parametrize(
    ("window", "on", "fiscal_start", "span"),
    [
        ("fytd", D(2026, 11, 24), 1, (M(2026, 1, 1), M(2026, 10, 1))),
        ("fytd", D(2026, 11, 24), 4, (M(2026, 4, 1), M(2026, 10, 1))),
        ("fytd", D(2026, 4, 10), 4, (M(2025, 4, 1), M(2026, 3, 1))),  # the year's first month
        ("fytd", D(2026, 1, 1), 1, (M(2025, 1, 1), M(2025, 12, 1))),
        ("fytd", D(2026, 5, 31), 4, (M(2026, 4, 1), M(2026, 4, 1))),
        ("last_fy", D(2026, 11, 24), 4, (M(2025, 4, 1), M(2026, 3, 1))),
        ("last_fy", D(2026, 4, 1), 4, (M(2025, 4, 1), M(2026, 3, 1))),
        ("last_fy", D(2026, 11, 24), 1, (M(2025, 1, 1), M(2025, 12, 1))),
        ("last_fq", D(2026, 11, 24), 1, (M(2026, 7, 1), M(2026, 9, 1))),
        ("last_fq", D(2026, 10, 1), 1, (M(2026, 7, 1), M(2026, 9, 1))),  # a quarter's first day
        ("last_fq", D(2026, 11, 24), 2, (M(2026, 8, 1), M(2026, 10, 1))),
        ("last_fq", D(2026, 2, 3), 11, (M(2025, 11, 1), M(2026, 1, 1))),  # across the new year
        (12, D(2026, 11, 24), 4, (M(2025, 11, 1), M(2026, 10, 1))),  # numbers ignore the year
    ],
)
def test_a_fiscal_window_reads_the_months_of_the_tenants_fiscal_year(
    window, on, fiscal_start, span
):
    assert window_span(window, on, fiscal_start) == span


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        (
            {**STEADY_CSAT, "window": "fytdd"},
            "rule.window",
            "must be a whole number from 1 to 36 or one of fytd, last_fy, last_fq "
            "(got 'fytdd'; did you mean “fytd”?)",
        ),
        (
            {**STEADY_CSAT, "window": "last_fq"},
            "rule.min_months",
            "must be a whole number from 1 to 3 (got 4)",
        ),
        (
            revenue_growth(">=", 10, window="fytd"),
            "rule.window",
            "growth compares a number of months with as many before (got 'fytd')",
        ),
        (
            revenue_growth(">=", 10) | {"agg": "grwoth"},
            "rule.agg",
            "must be one of sum, avg, min, max, latest, count or growth (got 'grwoth')",
        ),
    ],
)
def test_a_bad_window_or_growth_is_refused_with_its_path(rule, path, message):
    with pytest.raises(RuleError) as refused:
        parse_rule(rule)
    assert (refused.value.path, refused.value.message) == (path, message)


# --- points -----------------------------------------------------------------------------------


POINTS = {
    "points": [
        {"metric": "revenue", "agg": "sum", "window": 12, "per": "10000", "add": 1, "max": 20},
        {"when": {"certification": "sales-pro", "min": 2}, "add": 30},
        {"when": {"partner": "type", "in": ["msp"]}, "add": 10},
        {"metric": "csat", "agg": "avg", "window": 12, "per": 1, "add": 5},
    ],
    "op": ">=",
    "value": 60,
}


def scored(revenue="0", people=0, partner_type="var", csat=()):
    csat_values = [Decimal(v) for v in csat]
    metrics = {("revenue", 12): WindowStats(total=Decimal(revenue), count=12)}
    if csat_values:
        metrics[("csat", 12)] = WindowStats(
            total=sum(csat_values, Decimal(0)), count=len(csat_values)
        )
    return evaluate(
        parse_rule(POINTS),
        PartnerFacts(
            metrics=metrics,
            certified={"sales-pro": people},
            attributes={"type": partner_type},
        ),
    ).conditions[0]


@pytest.mark.parametrize(
    ("revenue", "points"),
    [("199999.99", 19), ("200000", 20), ("950000", 20), ("9999", 0), ("-5000", 0)],
)
def test_a_metric_part_adds_points_per_whole_step_up_to_its_cap(revenue, points):
    assert scored(revenue).parts[0].points == points


def test_points_add_up_to_a_score_compared_exactly_and_explained_part_by_part():
    result = scored("200000", people=2, partner_type="var", csat=("4", "4", "2"))
    assert [part.points for part in result.parts] == [20, 30, 0, 15], "avg 3.33…: 3 whole steps"
    assert [part.held for part in result.parts] == [None, True, False, None]
    assert result.parts[0].value == Decimal("200000")
    assert (result.value, result.held) == (Decimal(65), True)
    exactly = scored("100000", people=2, partner_type="msp", csat=("2",))
    assert (exactly.value, exactly.held) == (Decimal(60), True), "exactly at the value"
    short = scored("99999", people=2, partner_type="msp", csat=("2",))
    assert (short.value, short.held, short.shortfall) == (Decimal(59), False, Decimal(1))


def test_a_points_part_may_count_growth_and_a_when_part_nests_a_whole_rule():
    rule = {
        "points": [
            {"metric": "revenue", "agg": "growth", "window": 12, "per": 5, "add": 2, "max": 10},
            {
                "when": {
                    "all": [{"partner": "type", "in": ["msp"]}, {"partner": "region", "in": ["EU"]}]
                },
                "add": 1,
            },
        ],
        "op": ">=",
        "value": 1,
    }
    facts = grown("112", "100")
    result = evaluate(parse_rule(rule), facts).conditions[0]
    assert [part.points for part in result.parts] == [4, 0], "12 % holds two whole 5 %"
    assert result.parts[0].value == Decimal("12.00")
    assert evaluate(parse_rule(rule), grown("5", "0")).conditions[0].parts[0].points == 0


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        (
            {"points": [], "op": ">=", "value": 1},
            "rule.points",
            "must be a non-empty list of parts",
        ),
        (
            {"points": [{"when": None, "add": 1}], "op": ">=", "value": 1},
            "rule.points[0].when",
            "must be a rule (not null)",
        ),
        (
            {
                "points": [{"metric": "revenue", "agg": "sum", "window": 12, "per": 0, "add": 1}],
                "op": ">=",
                "value": 1,
            },
            "rule.points[0].per",
            "must be above 0 (got 0)",
        ),
        (
            {
                "points": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "per": 1, "add": 1, "maxx": 3}
                ],
                "op": ">=",
                "value": 1,
            },
            "rule.points[0].maxx",
            "unknown field “maxx” (did you mean “max”?)",
        ),
        (
            {"points": [{"add": 1}], "op": ">=", "value": 1},
            "rule.points[0]",
            'must be {"when": a rule, "add": N} or {"metric", "agg", "window", "per", "add"}',
        ),
        (
            {
                "points": [{"when": {"certification": "x", "min": 1}, "add": 1}],
                "op": "=>",
                "value": 1,
            },
            "rule.op",
            "must be one of >=, >, <=, <, == (got '=>')",
        ),
        (
            {
                "points": [{"when": {"certification": "x", "min": 1}, "add": 1}],
                "value": 1,
                "op": ">=",
                "metric": "revenue",
            },
            "rule",
            "must have exactly one of all, any, metric, certification, partner or points",
        ),
    ],
)
def test_a_bad_points_rule_is_refused_with_its_path(rule, path, message):
    with pytest.raises(RuleError) as refused:
        parse_rule(rule)
    assert (refused.value.path, refused.value.message) == (path, message)


def test_growth_fiscal_windows_and_points_come_back_as_written():
    rule = {
        "all": [
            revenue_growth(">=", "12.5", window=6, min_months=3),
            {"metric": "revenue", "agg": "sum", "window": "last_fq", "op": ">=", "value": "1000"},
            {
                **POINTS,
                "points": [*POINTS["points"][:3], {**POINTS["points"][0], "window": "fytd"}],
            },
        ]
    }
    as_text = copy.deepcopy(rule)
    as_text["all"][2]["points"][0]["add"] = "1"
    as_text["all"][2]["points"][0]["max"] = "20"
    as_text["all"][2]["points"][1]["add"] = "30"
    as_text["all"][2]["points"][2]["add"] = "10"
    as_text["all"][2]["points"][3] |= {"add": "1", "max": "20"}
    as_text["all"][2]["value"] = "60"
    assert rule_to_json(parse_rule(rule)) == as_text
    assert rule_to_json(parse_rule(as_text)) == as_text


# --- on PostgreSQL ----------------------------------------------------------------------------


SECURITY_PROGRAM = copy.deepcopy(PROGRAM)
SECURITY_PROGRAM["certifications"] += [
    {"key": "sec-a", "name": "Security A"},
    {"key": "sec-b", "name": "Security B"},
]
SECURITY_PROGRAM["tiers"][1]["rule"] = {
    "any": [
        {
            "all": [
                {"partner": "type", "in": ["msp"]},
                {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 50000},
                {"certification": ["sec-a", "sec-b"], "min": 2},
            ]
        },
        {
            "all": [
                {"partner": "type", "in": ["reseller"]},
                {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 100000},
            ]
        },
    ]
}


def award(world, ref, email, key, earned=datetime.date(2025, 1, 1), expires=None):
    with scope(tenant=world.tenant):
        CertificationAward.objects.create(
            tenant=world.tenant,
            partner=Partner.objects.get(ref=ref),
            email=email,
            certification=Certification.objects.get(key=key),
            earned_on=earned,
            expires_on=expires,
            source="import",
        )


def test_one_program_holds_criteria_per_partner_type_and_counts_a_family_by_person(acme, globex):
    for world in (acme, globex):  # the same refs in both tenants
        load(world, SECURITY_PROGRAM)
        with scope(tenant=world.tenant):
            Partner.objects.filter(ref__in=["P-001", "P-002"]).update(type="msp")
            Partner.objects.filter(ref="P-003").update(type="reseller")
        for ref in ("P-001", "P-002", "P-003"):
            set_values(world, ref, "revenue", {"2026-05": "80000"})
    award(acme, "P-001", "ann@p.test", "sec-a")
    award(acme, "P-001", "ann@p.test", "sec-b")  # the same person twice: counts once
    award(acme, "P-001", "bob@p.test", "sec-b")
    award(acme, "P-002", "cy@p.test", "sec-a")
    award(acme, "P-002", "dee@p.test", "sec-b", expires=TODAY - datetime.timedelta(days=1))
    award(globex, "P-002", "eve@p.test", "sec-a")
    award(globex, "P-002", "fay@p.test", "sec-b")
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            placements_recalculate(program=Program.objects.get(), as_of=TODAY)
    with scope(tenant=acme.tenant):
        tiers = dict(Placement.objects.values_list("partner__ref", "tier__key"))
        explained = Placement.objects.get(partner__ref="P-002").explanation["tiers"]["silver"]
    assert tiers == {"P-001": "silver", "P-002": "registered", "P-003": "registered"}
    assert explained[1][:3] == [[None, True], ["80000.0000", True], ["1", False]], "dee's expired"
    with scope(tenant=globex.tenant):
        assert dict(Placement.objects.values_list("partner__ref", "tier__key"))["P-002"] == (
            "silver"
        )


def test_the_program_file_names_an_unknown_member_of_a_family(acme):
    wrong = copy.deepcopy(SECURITY_PROGRAM)
    wrong["tiers"][1]["rule"]["any"][0]["all"][2]["certification"] = ["sec-a", "sec-c"]
    with pytest.raises(ProgramFileError) as refused:
        load(acme, wrong)
    assert "rule.any[0].all[2].certification[1]" in str(refused.value)
    assert "unknown certification “sec-c” (did you mean “sec-b”?)" in str(refused.value)


def test_a_partner_sees_a_missing_family_in_words(acme):
    load(acme, SECURITY_PROGRAM)
    with scope(tenant=acme.tenant):
        Partner.objects.filter(ref="P-001").update(type="msp")
    set_values(acme, "P-001", "revenue", {"2026-05": "80000"})
    award(acme, "P-001", "ann@p.test", "sec-a")
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=TODAY)
    page = acme.client_for(acme.partner_user).get("/o/acme/").content.decode()
    assert "Missing: 1 more Security A or Security B" in page
    assert "Partner type" in page and "msp or var" not in page


DEALER_PROGRAM = copy.deepcopy(PROGRAM)
DEALER_PROGRAM["tiers"][1]["rule"] = {
    "any": [
        {"metric": "revenue", "agg": "sum", "window": "fytd", "op": ">=", "value": 100000},
        {"metric": "revenue", "agg": "growth", "window": 3, "op": ">=", "value": 50},
    ]
}
DEALER_PROGRAM["tiers"][2]["rule"] = {
    "points": [
        {"metric": "revenue", "agg": "sum", "window": 12, "per": 10000, "add": 1, "max": 20},
        {"when": {"certification": "sales-pro", "min": 1}, "add": 15},
        {"metric": "csat", "agg": "latest", "window": "last_fq", "per": 1, "add": 2},
    ],
    "op": ">=",
    "value": 40,
}


def test_fiscal_windows_growth_and_points_place_partners_per_tenant(acme, globex):
    """Both tenants hold the same refs and values; only Globex's fiscal year starts in April,
    so this year's 60,000 of February counts toward Acme's fytd and not Globex's."""
    from partnerhub.tenancy.models import Tenant

    Tenant.objects.filter(pk=globex.tenant.pk).update(fiscal_year_start=4)
    for world in (acme, globex):
        load(world, DEALER_PROGRAM)
        set_values(world, "P-001", "revenue", {"2026-02": "60000", "2026-06": "45000"})
        set_values(world, "P-002", "revenue", {"2026-05": "10000", "2026-08": "15000"})
        set_values(world, "P-003", "revenue", {"2026-02": "200000", "2026-10": "10000"})
        set_values(world, "P-003", "csat", {"2026-08": "4.5", "2026-09": "5", "2026-10": "1"})
        award(world, "P-003", "ann@p.test", "sales-pro")
    placed = {}
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            placements_recalculate(program=Program.objects.get(), as_of=TODAY)
            placed[world.tenant.slug] = dict(
                Placement.objects.values_list("partner__ref", "tier__key")
            )
    # P-001: fytd 105,000 at Acme (Jan–Oct); 45,000 at Globex (Apr–Oct).
    # P-002: Aug–Oct 15,000 against May–Jul 10,000: growth 50 %, exactly the threshold.
    # P-003: 20 (capped) + 15 + 2 × 5 (September, the last month of the last quarter) = 45.
    assert placed["acme"] == {"P-001": "silver", "P-002": "silver", "P-003": "gold"}
    assert placed["globex"] == {"P-001": "registered", "P-002": "silver", "P-003": "gold"}
    with scope(tenant=acme.tenant):
        gold = Placement.objects.get(partner__ref="P-003").explanation["tiers"]["gold"]
        growth = Placement.objects.get(partner__ref="P-002").explanation["tiers"]["silver"]
    assert gold == [
        True,
        [["45", True, [["20", "210000.0000", None], ["15", None, True], ["10", "5.0000", None]]]],
    ]
    assert growth[1][1] == ["50.00", True]


def test_a_partner_reads_its_points_part_by_part_with_what_would_add_most(acme):
    load(acme, DEALER_PROGRAM)
    set_values(acme, "P-001", "revenue", {"2026-02": "120000"})  # silver, on its fytd
    set_values(acme, "P-001", "csat", {"2026-09": "4.9"})
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=TODAY)
        Partner.objects.filter(ref="P-001").update(name="Acme Dealer")
        acme.partner_user.partner = Partner.objects.get(ref="P-001")
        acme.partner_user.save()
    page = acme.client_for(acme.partner_user).get("/o/acme/").content.decode()
    assert "Points" in page and "Missing: 20 more points" in page  # 12 + 0 + 2 × 4 (4.9) = 20
    parts = page[page.index('class="points-parts"') :]
    first, second = (
        parts.index("15 points when at least 1 person"),
        parts.index("point per EUR 10,000"),
    )
    assert first < second, "the part that could add most (15) comes first"
    assert "+15 when it holds" in parts and "up to 8 more" in parts


def test_the_builder_reads_and_writes_growth_fiscal_windows_and_points():
    choices = Choices(
        metrics={"revenue": ("Revenue", "currency"), "csat": ("CSAT", "score")},
        certifications={"sales-pro": "Sales Professional"},
        currency="EUR",
    )
    for tier in DEALER_PROGRAM["tiers"][1:]:
        rule, problems = draft_rule(*draft_from_rule(tier["rule"]), choices)
        assert problems == {}
        assert same_meaning(rule, tier["rule"])
    words = rule_in_words(DEALER_PROGRAM["tiers"][2]["rule"], choices)
    assert words.startswith(
        "points (1 point per EUR 10,000 of Revenue total over the last 12 months"
    )
    assert "15 points when at least 1 person certified in Sales Professional" in words
    assert "CSAT latest month over the last fiscal quarter" in words


def test_the_program_file_names_an_unknown_metric_inside_points_by_path(acme):
    wrong = copy.deepcopy(DEALER_PROGRAM)
    wrong["tiers"][2]["rule"]["points"][1]["when"] = {
        "metric": "revnue",
        "agg": "sum",
        "window": "last_fy",
        "op": ">=",
        "value": 1,
    }
    with pytest.raises(ProgramFileError) as refused:
        load(acme, wrong)
    assert (
        "tier gold: rule.points[1].when.metric: unknown metric “revnue” (did you mean “revenue”?)"
        in str(refused.value)
    )
