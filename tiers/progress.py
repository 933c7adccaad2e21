"""How far a partner is from a tier, in words people read: the explanation turned into lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from metrics.selectors import money_text

from .engine import (
    GROWTH,
    CertificationCondition,
    MetricCondition,
    PartnerCondition,
    PointsCondition,
    PointsWhen,
    Window,
    certification_keys,
    compare,
    conditions_of,
    parse_rule,
    rule_to_json,
)

OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "==": "exactly"}
AGG_WORDS = {
    "sum": "total",
    "avg": "average",
    "min": "lowest month",
    "max": "best month",
    "latest": "latest month",
    "count": "months reported",
    GROWTH: "growth",
}
FISCAL_WINDOW_WORDS = {
    "fytd": "this fiscal year so far",
    "last_fy": "the last fiscal year",
    "last_fq": "the last fiscal quarter",
}


def window_words(window: Window) -> str:
    if isinstance(window, str):
        return FISCAL_WINDOW_WORDS[window]
    return f"the last {window} months" if window > 1 else "the last month"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    unit: str  # currency, count, score, percent, text


@dataclass(frozen=True)
class ConditionLine:
    label: str
    value: str
    target: str
    held: bool
    percent: int
    missing: str
    certification: str | tuple[str, ...] = ""  # the key, or a family's keys
    courses: tuple = ()  # the published courses that earn it, when it is missing
    parts: tuple[PartLine, ...] = ()  # a points condition's, those that could add most first


@dataclass(frozen=True)
class PartLine:
    """One points part: what earns it, what it adds now, and what more it could add."""

    label: str
    points: str
    more: str  # "" when it cannot add more


def amount(value: Decimal | None, unit: str, currency: str) -> str:
    if value is None:
        return "no value"
    if unit == "currency":
        return f"{currency} {money_text(value)}"
    text = format(
        value.normalize() if value == value.to_integral_value() else round(value, 2), ",f"
    )
    return f"{text} %" if unit == "percent" else text


def condition_lines(
    rule_json,
    explained: list,
    *,
    metrics: dict[str, MetricInfo],
    certifications: dict[str, str],
    currency: str,
) -> list[ConditionLine]:
    """One line per condition of a tier's rule, from the stored [[value, held], ...] (a points
    condition's entry adds its parts: [value, held, [[points, value, held], ...]])."""
    lines = []
    for condition, stored in zip(conditions_of(parse_rule(rule_json)), explained, strict=False):
        raw_value, held = stored[0], stored[1]
        value = None if raw_value is None else Decimal(raw_value)
        if isinstance(condition, CertificationCondition):
            lines.append(_certification_line(condition, value, held, certifications))
        elif isinstance(condition, PartnerCondition):
            lines.append(_partner_line(condition, held))
        elif isinstance(condition, PointsCondition):
            parts = stored[2] if len(stored) > 2 else []
            words = Words(metrics, certifications, currency)
            lines.append(_points_line(condition, value, held, parts, words))
        else:
            lines.append(_metric_line(condition, value, held, metrics, currency))
    return lines


@dataclass(frozen=True)
class Words:
    """What it takes to put a rule in words: the tenant's names and currency."""

    metrics: Mapping[str, MetricInfo]
    certifications: Mapping[str, str]
    currency: str

    def metric(self, key: str) -> MetricInfo:
        return self.metrics.get(key, MetricInfo(key, "count"))


def rule_words(rule, words: Words, *, top: bool = True) -> str:
    """A rule (JSON) as one sentence: "Revenue total over the last 12 months is at least
    EUR 1,500,000 and (…or…)"."""
    if rule is None:
        return "Every partner qualifies."
    for combinator, joint in (("all", " and "), ("any", " or ")):
        if combinator in rule:
            parts = [rule_words(p, words, top=False) for p in rule[combinator]]
            if not parts:
                return "always" if combinator == "all" else "never"
            text = joint.join(parts)
            return text if top or len(parts) == 1 else f"({text})"
    if "certification" in rule:
        name = certification_names(rule["certification"], words.certifications)
        people = "person" if rule["min"] == 1 else "people"
        return f"at least {rule['min']} {people} certified in {name}"
    if "partner" in rule:
        return f"the partner's {rule['partner']} is {' or '.join(rule['in'])}"
    if "points" in rule:
        parts = "; ".join(_part_words(part, words) for part in rule["points"])
        points = Decimal(str(rule["value"]))
        return f"points ({parts}) are {OP_WORDS[rule['op']]} {amount(points, 'count', '')}"
    info = words.metric(rule["metric"])
    unit = _unit(rule["agg"], info)
    threshold = amount(Decimal(str(rule["value"])), unit, words.currency)
    text = f"{info.name} {AGG_WORDS[rule['agg']]} over {window_words(rule['window'])}"
    if rule["agg"] == GROWTH:
        text += f" against the {rule['window']} months before"
    text += f" is {OP_WORDS[rule['op']]} {threshold}"
    if rule.get("min_months"):
        text += f", with values in at least {rule['min_months']} of them"
    return text


def _unit(agg: str, info: MetricInfo) -> str:
    if agg == GROWTH:
        return "percent"
    return "count" if agg == "count" else info.unit


def _part_words(part: dict, words: Words) -> str:
    points = Decimal(str(part["add"]))
    add = f"{amount(points, 'count', '')} point{'' if points == 1 else 's'}"
    if "when" in part:
        return f"{add} when {rule_words(part['when'], words, top=False)}"
    info = words.metric(part["metric"])
    per = amount(Decimal(str(part["per"])), _unit(part["agg"], info), words.currency)
    text = f"{add} per {per} of {info.name} {AGG_WORDS[part['agg']]} over "
    text += window_words(part["window"])
    if part.get("max") is not None:
        text += f", at most {amount(Decimal(str(part['max'])), 'count', '')}"
    return text


def certification_names(named, certifications: Mapping[str, str]) -> str:
    """A certification's name, or a family's: "Security A or Security B"."""
    return " or ".join(certifications.get(key, key) for key in certification_keys(named))


def _partner_line(condition: PartnerCondition, held: bool) -> ConditionLine:
    wanted = " or ".join(condition.values)
    return ConditionLine(
        label=f"Partner {condition.attribute}",
        value="matches" if held else "does not match",
        target=wanted,
        held=held,
        percent=100 if held else 0,
        missing="" if held else f"only for a partner {condition.attribute} of {wanted}",
    )


def _certification_line(condition, value, held, certifications) -> ConditionLine:
    name = certification_names(condition.certification, certifications)
    people = int(value or 0)
    missing = "" if held else f"{condition.min - people} more {name}"
    percent = 100 if held else (people * 100 // condition.min if condition.min else 0)
    return ConditionLine(
        label=f"People certified {name}",
        value=str(people),
        target=f"at least {condition.min}",
        held=held,
        percent=min(percent, 100),
        missing=missing,
        certification=condition.certification,
    )


def _points_line(condition: PointsCondition, score, held, stored_parts, words) -> ConditionLine:
    parts = []
    as_json = rule_to_json(condition)["points"]
    for part, part_json, stored in zip(condition.parts, as_json, stored_parts, strict=False):
        points = Decimal(stored[0])
        parts.append((_could_add(part, points), _part_words(part_json, words), points))
    # What could add most first; a part without a cap ("+2 for each further step") leads.
    parts.sort(key=lambda found: (found[0][0] is not None, -(found[0][0] or 0)))
    target = f"{OP_WORDS[condition.op]} {amount(condition.value, 'count', '')}"
    gap = condition.value - (score or 0)
    missing = ""
    if not held and condition.op in (">=", ">"):
        missing = f"{amount(gap, 'count', '')} more points" if gap > 0 else "1 more point"
    elif not held:
        missing = f"points must be {target} (now {amount(score, 'count', '')})"
    percent = 100 if held else _percent(score, condition)
    return ConditionLine(
        label="Points",
        value=amount(score, "count", ""),
        target=target,
        held=held,
        percent=percent,
        missing=missing,
        parts=tuple(
            PartLine(label, amount(points, "count", ""), more) for (_, more), label, points in parts
        ),
    )


def _could_add(part, points: Decimal) -> tuple[Decimal | None, str]:
    """How many more points a part could add (None: no cap), and that in words."""
    if isinstance(part, PointsWhen):
        more = part.add - points
        return more, (f"+{amount(more, 'count', '')} when it holds" if more > 0 else "")
    if part.max is None:
        return None, f"+{amount(part.add, 'count', '')} for each further step"
    more = part.max - points
    return more, (f"up to {amount(more, 'count', '')} more" if more > 0 else "")


def _metric_line(condition: MetricCondition, value, held, metrics, currency) -> ConditionLine:
    info = metrics.get(condition.metric, MetricInfo(condition.metric, "count"))
    unit = _unit(condition.agg, info)
    period = window_words(condition.window)
    label = f"{info.name}, {AGG_WORDS[condition.agg]} over {period}"
    if condition.agg == GROWTH:
        label += f" against the {condition.window} months before"
    target = f"{OP_WORDS[condition.op]} {amount(condition.value, unit, currency)}"
    percent, missing = 100, ""
    if not held:
        percent = _percent(value, condition)
        missing = _missing(condition, value, info, unit, period, currency)
    return ConditionLine(label, amount(value, unit, currency), target, held, percent, missing)


def _too_few_months(condition: MetricCondition, value) -> bool:
    """Not held although the value meets the target: it had values in too few months."""
    return (
        condition.min_months is not None
        and value is not None
        and compare(value, condition.op, condition.value)
    )


def _percent(value, condition) -> int:
    if value is None or condition.op not in (">=", ">") or condition.value <= 0:
        return 0
    return max(0, min(99, int(value * 100 / condition.value)))


def _missing(condition, value, info, unit, period, currency) -> str:
    name = info.name.lower()
    if _too_few_months(condition, value):
        if isinstance(condition.window, int):
            return (
                f"{name} reported in at least {condition.min_months} of the last "
                f"{condition.window} months"
            )
        return f"{name} reported in at least {condition.min_months} months of {period}"
    if condition.agg == GROWTH and value is None:
        return f"{name} in the {condition.window} months before {period}, to grow from"
    if condition.op in (">=", ">") and condition.agg == "sum":
        gap = condition.value - (value or 0)
        more = amount(gap, unit, currency) if gap > 0 else "a little"
        return f"{more} more {name} in {period}"
    if condition.op in (">=", ">") and condition.agg == "count":
        gap = int(condition.value - (value or 0))
        return f"{gap} more month{'s' if gap != 1 else ''} with {name} reported"
    if value is None:
        return f"no {name} reported in {period}"
    wanted = f"{OP_WORDS[condition.op]} {amount(condition.value, unit, currency)}"
    return (
        f"{AGG_WORDS[condition.agg]} {name} must be {wanted} (now {amount(value, unit, currency)})"
    )


def rule_conditions_count(rule_json) -> int:
    return len(conditions_of(parse_rule(rule_json)))
