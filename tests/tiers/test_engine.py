"""The rule engine, to the letter of the spec; no database."""

import datetime
from decimal import Decimal

import pytest

from tiers.engine import (
    AllOf,
    PartnerFacts,
    RuleError,
    Standing,
    TierRule,
    WindowStats,
    evaluate,
    parse_rule,
    place,
    qualified_tier,
    rule_to_json,
    window_months,
)

D = datetime.date


def revenue(agg, op, value, window=12):
    return parse_rule({"metric": "revenue", "agg": agg, "window": window, "op": op, "value": value})


def facts(values=(), certified=None, window=12, metric="revenue"):
    """Facts from a list of (month, value) for one metric and window."""
    values = [(month, Decimal(v)) for month, v in values]
    ordered = sorted(values)
    stats = WindowStats(
        total=sum((v for _, v in values), Decimal(0)),
        count=len(values),
        minimum=min((v for _, v in values), default=None),
        maximum=max((v for _, v in values), default=None),
        latest=ordered[-1][1] if ordered else None,
    )
    return PartnerFacts(metrics={(metric, window): stats}, certified=certified or {})


@pytest.mark.parametrize(
    ("on", "months", "expected"),
    [
        (D(2026, 11, 22), 12, (D(2025, 11, 1), D(2026, 10, 1))),
        (D(2026, 1, 1), 1, (D(2025, 12, 1), D(2025, 12, 1))),
        (D(2026, 1, 31), 3, (D(2025, 10, 1), D(2025, 12, 1))),
        (D(2026, 3, 15), 36, (D(2023, 3, 1), D(2026, 2, 1))),
        (D(2024, 2, 29), 2, (D(2023, 12, 1), D(2024, 1, 1))),
    ],
)
def test_windows_are_complete_months_before_the_evaluation_month(on, months, expected):
    assert window_months(on, months) == expected


def test_sum_and_count_are_zero_without_values():
    assert evaluate(revenue("sum", ">=", 0), facts()).held
    assert not evaluate(revenue("sum", ">", 0), facts()).held
    result = evaluate(
        parse_rule({"metric": "revenue", "agg": "count", "window": 12, "op": "==", "value": 0}),
        facts(),
    )
    assert result.held and result.conditions[0].value == 0


@pytest.mark.parametrize("agg", ["avg", "min", "max", "latest"])
def test_avg_min_max_latest_are_false_without_values(agg):
    for op in (">=", "<=", "==", "<", ">"):
        decision = evaluate(revenue(agg, op, 0), facts())
        assert not decision.held
        assert decision.conditions[0].value is None


def test_aggregates_over_present_values():
    f = facts([(1, "10"), (3, "40"), (2, "-5")])
    assert evaluate(revenue("sum", "==", "45"), f).held
    assert evaluate(revenue("count", "==", 3), f).held
    assert evaluate(revenue("min", "==", "-5"), f).held
    assert evaluate(revenue("max", "==", 40), f).held
    assert evaluate(revenue("latest", "==", "40"), f).held, "latest is the latest month present"
    assert evaluate(revenue("avg", "==", 15), f).held


def test_thresholds_compare_exactly():
    f = facts([(1, "100000.0001")])
    assert evaluate(revenue("sum", ">=", "100000.0001"), f).held
    assert not evaluate(revenue("sum", ">", "100000.0001"), f).held
    assert evaluate(revenue("sum", "<=", 100000.0001), f).held
    assert not evaluate(revenue("sum", "<", "100000.0001"), f).held
    assert not evaluate(revenue("sum", "==", "100000"), f).held


def test_averages_compare_without_rounding():
    # 4.2, 4.2, 4.2 average exactly 4.2; 1/3-style averages never round up to a threshold.
    assert evaluate(revenue("avg", ">=", "4.2"), facts([(1, "4.2"), (2, "4.2"), (3, "4.2")])).held
    thirds = facts([(1, "1"), (2, "1"), (3, "2")])  # 4/3 = 1.333…
    assert not evaluate(revenue("avg", ">=", "1.3333333333333333333333333334"), thirds).held
    assert evaluate(revenue("avg", ">", "1.3333333333333333333333333333"), thirds).held
    assert not evaluate(revenue("avg", "==", "1.3333333333333333333333333333"), thirds).held
    # 0.1 + 0.2 as floats is not 0.3; as decimals it is.
    assert evaluate(revenue("avg", "==", "0.15"), facts([(1, "0.1"), (2, "0.2")])).held


def test_all_and_any_with_empty_lists():
    assert evaluate(parse_rule({"all": []}), facts()).held
    assert not evaluate(parse_rule({"any": []}), facts()).held


def test_every_condition_is_explained_even_after_the_outcome_is_known():
    rule = parse_rule(
        {
            "any": [
                {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 100},
                {"certification": "sales-pro", "min": 2},
            ]
        }
    )
    decision = evaluate(rule, facts([(1, "150")], certified={"sales-pro": 1}))
    assert decision.held
    assert [(r.value, r.held) for r in decision.conditions] == [
        (Decimal(150), True),
        (Decimal(1), False),
    ]
    assert decision.conditions[1].shortfall == 1


def test_the_shortfall_and_progress_of_a_target():
    decision = evaluate(revenue("sum", ">=", 100000), facts([(1, "58000")]))
    (condition,) = decision.conditions
    assert condition.shortfall == Decimal(42000)
    assert condition.progress == 58


def test_the_qualified_tier_is_the_highest_ranked_that_holds():
    tiers = [
        TierRule("registered", 0, None),
        TierRule("silver", 1, revenue("sum", ">=", 100)),
        TierRule("gold", 2, revenue("sum", ">=", 1000)),
        TierRule("odd", 3, parse_rule({"any": []})),
    ]
    tier, decisions = qualified_tier(tiers, facts([(1, "500")]))
    assert tier.key == "silver"
    assert set(decisions) == {"registered", "silver", "gold", "odd"}
    assert qualified_tier(tiers[1:], facts())[0] is None, "none holds: no tier"


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        (
            {"metric": "revenue", "agg": "median", "window": 12, "op": ">=", "value": 1},
            "rule.agg",
            "must be one of sum, avg, min, max, latest, count (got 'median')",
        ),
        (
            {"metric": "revenue", "agg": "sum", "window": 37, "op": ">=", "value": 1},
            "rule.window",
            "must be a whole number from 1 to 36 (got 37)",
        ),
        (
            {"metric": "revenue", "agg": "sum", "window": 0, "op": ">=", "value": 1},
            "rule.window",
            "must be a whole number from 1 to 36 (got 0)",
        ),
        (
            {"metric": "revenue", "agg": "sum", "window": 12, "op": "=>", "value": 1},
            "rule.op",
            "must be one of >=, >, <=, <, == (got '=>')",
        ),
        (
            {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": "lots"},
            "rule.value",
            "“lots” is not a number",
        ),
        (
            {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": "NaN"},
            "rule.value",
            "must be a finite number",
        ),
        (
            {"all": [{"any": [{"certification": "x", "min": -1}]}]},
            "rule.all[0].any[0].min",
            "must be a whole number from 0 to 1000000 (got -1)",
        ),
        (
            {"all": [{"metric": "revenue"}, {"bogus": 1}]},
            "rule.all[0].agg",
            "must be one of sum, avg, min, max, latest, count (it is missing)",
        ),
        ({"all": {}}, "rule.all", "must be a list of rules"),
        (
            {"all": [], "any": []},
            "rule",
            "must have exactly one of all, any, metric or certification",
        ),
        (
            {"certification": "x", "min": 1, "max": 2},
            "rule.max",
            "unknown field “max” (known: certification, min)",
        ),
        (
            {"metirc": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 1},
            "rule.metirc",
            "unknown field “metirc” (did you mean “metric”?)",
        ),
        ([1], "rule", "must be an object: all, any, a metric or a certification condition"),
    ],
)
def test_a_bad_rule_is_refused_with_the_path_to_the_bad_part(rule, path, message):
    with pytest.raises(RuleError) as error:
        parse_rule(rule)
    assert (error.value.path, error.value.message) == (path, message)


def test_rules_round_trip_through_json():
    data = {
        "all": [
            {"metric": "revenue", "agg": "avg", "window": 6, "op": ">=", "value": "4.2"},
            {"any": [{"certification": "sp", "min": 2}]},
        ]
    }
    assert rule_to_json(parse_rule(data)) == data
    assert isinstance(parse_rule(data), AllOf)


SILVER, GOLD, PLATINUM = (
    TierRule("silver", 1, None),
    TierRule("gold", 2, None),
    TierRule("platinum", 3, None),
)
AT_GOLD = Standing("gold", 2)


TODAY = D(2026, 11, 22)


def move(current, qualified, *, grace=0, on=TODAY, override=None, until=None):
    return place(
        current=current,
        qualified=qualified,
        override=override,
        override_until=until,
        grace_days=grace,
        on=on,
    )


def test_first_placement_and_promotion():
    assert move(Standing(), SILVER).standing == Standing("silver", 1)
    assert move(Standing(), SILVER).reason == "placed", "a first placement is no promotion"
    assert move(Standing(), None).reason is None
    assert move(AT_GOLD, PLATINUM).reason == "promotion"


def test_qualifying_again_clears_at_risk():
    at_risk = Standing("gold", 2, D(2026, 11, 1))
    result = move(at_risk, GOLD, grace=30)
    assert result.standing == Standing("gold", 2, None) and result.reason is None


def test_without_grace_a_lower_qualification_demotes_at_once():
    result = move(AT_GOLD, SILVER)
    assert (result.standing, result.reason) == (Standing("silver", 1), "demotion")
    assert move(AT_GOLD, None).standing == Standing(), "no tier holds: no tier"


def test_grace_marks_at_risk_then_demotes_to_the_tier_qualified_then():
    first = move(AT_GOLD, SILVER, grace=30, on=D(2026, 11, 1))
    assert (first.standing, first.reason, first.became_at_risk) == (
        Standing("gold", 2, D(2026, 11, 1)),
        None,
        True,
    )
    waiting = move(first.standing, SILVER, grace=30, on=D(2026, 11, 30))
    assert (waiting.standing, waiting.reason, waiting.became_at_risk) == (
        first.standing,
        None,
        False,
    )
    expired = move(waiting.standing, None, grace=30, on=D(2026, 12, 1))
    assert (expired.standing, expired.reason) == (Standing(), "grace_expiry"), "several steps down"


def test_an_active_override_wins_and_expires_on_its_until_date():
    at_risk = Standing("silver", 1, D(2026, 11, 1))
    held = move(
        at_risk, SILVER, grace=30, override=PLATINUM, until=D(2026, 12, 1), on=D(2026, 11, 30)
    )
    assert (held.standing, held.reason) == (Standing("platinum", 3), "override")
    again = move(
        held.standing, SILVER, grace=30, override=PLATINUM, until=D(2026, 12, 1), on=D(2026, 11, 30)
    )
    assert again.reason is None
    expired = move(
        held.standing, SILVER, grace=30, override=PLATINUM, until=D(2026, 12, 1), on=D(2026, 12, 1)
    )
    assert (expired.standing, expired.became_at_risk) == (
        Standing("platinum", 3, D(2026, 12, 1)),
        True,
    )
