"""A placement's explanation is written as JSON text by hand (it is made for every partner of
every run): it must be, character for character, what json.dumps writes of the same lists."""

import datetime
import json
from decimal import Decimal

import pytest

from tiers.engine import PartnerFacts, TierRule, WindowStats, parse_rule, qualified_tier
from tiers.evaluation import ExplanationText

ON = datetime.date(2026, 11, 22)
TIERS = [
    TierRule("registered", 0, None),
    TierRule(
        "silver",
        1,
        parse_rule(
            {
                "any": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 1000},
                    {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "3.5"},
                ]
            }
        ),
    ),
    TierRule(
        'gold "élite"',  # a key JSON must escape
        2,
        parse_rule(
            {
                "all": [
                    {"certification": "sales-pro", "min": 2},
                    {"partner": "type", "in": ["msp"]},
                    {
                        "points": [
                            {"metric": "revenue", "agg": "sum", "window": 12, "per": 100, "add": 1},
                            {"metric": "csat", "agg": "min", "window": 6, "per": 1, "add": 5},
                            {"when": {"partner": "region", "in": ["EU"]}, "add": "2.5"},
                        ],
                        "op": ">=",
                        "value": 10,
                    },
                ]
            }
        ),
    ),
]


def as_json_dumps_writes_it(qualified, decisions, version) -> str:
    """The explanation's lists, built as they were before the text was written by hand."""

    def text(value):
        return None if value is None else format(value, "f")

    def explained(result):
        if not result.parts:
            return [text(result.value), result.held]
        parts = [[text(p.points), text(p.value), p.held] for p in result.parts]
        return [text(result.value), result.held, parts]

    return json.dumps(
        {
            "version": version,
            "on": ON.isoformat(),
            "qualified": qualified.key if qualified else None,
            "tiers": {
                key: [decision.held, [explained(c) for c in decision.conditions]]
                for key, decision in decisions.items()
            },
        }
    )


@pytest.mark.parametrize(
    "facts",
    [
        PartnerFacts(),  # nothing at all: sums of 0, an average and a minimum of nothing
        PartnerFacts(
            metrics={
                ("revenue", 12): WindowStats(total=Decimal("-1234.5600"), count=12),
                ("csat", 6): WindowStats(total=Decimal("21"), count=6, minimum=Decimal("2.75")),
            },
            certified={"sales-pro": 3},
            attributes={"type": "msp", "region": "EU"},
        ),
        PartnerFacts(
            metrics={("revenue", 12): WindowStats(total=Decimal("1E+6"), count=1)},
            certified={"sales-pro": 1},
            attributes={"type": "var", "region": "APAC"},
        ),
    ],
)
def test_the_explanation_text_is_what_json_dumps_writes(facts):
    qualified, decisions = qualified_tier(TIERS, facts)
    written = ExplanationText(7, ON, [tier.key for tier in TIERS])(qualified, decisions)

    assert written == as_json_dumps_writes_it(qualified, decisions, 7)
    assert json.loads(written)["tiers"]['gold "élite"'][1][2][2] is not None  # points parts


def test_a_partner_that_qualifies_for_no_tier_is_explained_with_a_null_tier():
    only_silver = TIERS[1:2]
    qualified, decisions = qualified_tier(only_silver, PartnerFacts())
    written = ExplanationText(0, ON, ["silver"])(qualified, decisions)

    assert qualified is None
    assert json.loads(written) == {
        "version": 0,
        "on": "2026-11-22",
        "qualified": None,
        "tiers": {"silver": [False, [["0", False], [None, False]]]},
    }
