"""How far a partner is from a tier, in words people read: the explanation turned into lines."""

from dataclasses import dataclass
from decimal import Decimal

from metrics.selectors import money_text

from .engine import CertificationCondition, MetricCondition, conditions_of, parse_rule

OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "==": "exactly"}
AGG_WORDS = {
    "sum": "total",
    "avg": "average",
    "min": "lowest month",
    "max": "best month",
    "latest": "latest month",
    "count": "months reported",
}


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
    certification: str = ""  # the certification's key, for a certification condition
    courses: tuple = ()  # the published courses that earn it, when it is missing


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
    """One line per condition of a tier's rule, from the stored [[value, held], ...]."""
    lines = []
    for condition, (raw_value, held) in zip(
        conditions_of(parse_rule(rule_json)), explained, strict=False
    ):
        value = None if raw_value is None else Decimal(raw_value)
        if isinstance(condition, CertificationCondition):
            lines.append(_certification_line(condition, value, held, certifications))
        else:
            lines.append(_metric_line(condition, value, held, metrics, currency))
    return lines


def _certification_line(condition, value, held, certifications) -> ConditionLine:
    name = certifications.get(condition.certification, condition.certification)
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


def _metric_line(condition: MetricCondition, value, held, metrics, currency) -> ConditionLine:
    info = metrics.get(condition.metric, MetricInfo(condition.metric, "count"))
    unit = "count" if condition.agg == "count" else info.unit
    period = f"the last {condition.window} months" if condition.window > 1 else "the last month"
    label = f"{info.name}, {AGG_WORDS[condition.agg]} over {period}"
    target = f"{OP_WORDS[condition.op]} {amount(condition.value, unit, currency)}"
    percent, missing = 100, ""
    if not held:
        percent = _percent(value, condition)
        missing = _missing(condition, value, info, unit, period, currency)
    return ConditionLine(label, amount(value, unit, currency), target, held, percent, missing)


def _percent(value, condition) -> int:
    if value is None or condition.op not in (">=", ">") or condition.value <= 0:
        return 0
    return max(0, min(99, int(value * 100 / condition.value)))


def _missing(condition, value, info, unit, period, currency) -> str:
    name = info.name.lower()
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
