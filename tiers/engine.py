"""The tier rule engine: pure functions, no Django, no database.

A rule is JSON: {"all": [...]}, {"any": [...]}, a metric condition
{"metric", "agg", "window", "op", "value"} or a certification condition
{"certification", "min"}; a tier whose rule is null always qualifies. `parse_rule` turns the JSON
into frozen objects (or says which part is wrong, by path); `evaluate` decides a rule against one
partner's facts and explains every condition, and that one explanation feeds placement, the
partner's progress bars and the what-if preview alike.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext

AGGREGATES = ("sum", "avg", "min", "max", "latest", "count")
OPERATORS = (">=", ">", "<=", "<", "==")
MAX_WINDOW = 36


class RuleError(ValueError):
    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class MetricCondition:
    metric: str
    agg: str
    window: int
    op: str
    value: Decimal


@dataclass(frozen=True)
class CertificationCondition:
    certification: str
    min: int


@dataclass(frozen=True)
class AllOf:
    parts: tuple


@dataclass(frozen=True)
class AnyOf:
    parts: tuple


Rule = MetricCondition | CertificationCondition | AllOf | AnyOf


def parse_rule(data, path: str = "rule") -> Rule | None:
    """The rule as objects, or RuleError naming the path to the first wrong part."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise RuleError(path, "must be an object: all, any, a metric or a certification condition")
    kinds = [kind for kind in ("all", "any", "metric", "certification") if kind in data]
    if not kinds:
        unknown = sorted(set(data) - RULE_FIELDS)
        if unknown:
            raise RuleError(f"{path}.{unknown[0]}", unknown_field(unknown[0], RULE_FIELDS))
    if len(kinds) != 1:
        raise RuleError(path, "must have exactly one of all, any, metric or certification")
    kind = kinds[0]
    if kind in ("all", "any"):
        _only(data, {kind}, path)
        parts = data[kind]
        if not isinstance(parts, list):
            raise RuleError(f"{path}.{kind}", "must be a list of rules")
        parsed = tuple(parse_rule(part, f"{path}.{kind}[{n}]") for n, part in enumerate(parts))
        if any(part is None for part in parsed):
            raise RuleError(f"{path}.{kind}", "a part cannot be null")
        return AllOf(parsed) if kind == "all" else AnyOf(parsed)
    if kind == "certification":
        _only(data, {"certification", "min"}, path)
        return CertificationCondition(
            certification=_key(data.get("certification"), f"{path}.certification"),
            min=_whole(data.get("min"), f"{path}.min", low=0, high=1_000_000),
        )
    _only(data, {"metric", "agg", "window", "op", "value"}, path)
    agg = data.get("agg")
    if agg not in AGGREGATES:
        raise RuleError(f"{path}.agg", f"must be one of {', '.join(AGGREGATES)}{_got(agg)}")
    op = data.get("op")
    if op not in OPERATORS:
        raise RuleError(f"{path}.op", f"must be one of {', '.join(OPERATORS)}{_got(op)}")
    return MetricCondition(
        metric=_key(data.get("metric"), f"{path}.metric"),
        agg=agg,
        window=_whole(data.get("window"), f"{path}.window", low=1, high=MAX_WINDOW),
        op=op,
        value=_number(data.get("value"), f"{path}.value"),
    )


RULE_FIELDS = {"all", "any", "metric", "agg", "window", "op", "value", "certification", "min"}


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` most likely misspells, if any is close."""
    found = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_field(name: str, known: Iterable[str]) -> str:
    guess = closest(name, known)
    hint = f" (did you mean “{guess}”?)" if guess else f" (known: {', '.join(sorted(known))})"
    return f"unknown field “{name}”{hint}"


def _only(data: dict, allowed: set[str], path: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise RuleError(f"{path}.{extra[0]}", unknown_field(extra[0], allowed))


def _key(value, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, "must be a key (text)")
    return value.strip()


def _got(value) -> str:
    return " (it is missing)" if value is None else f" (got {value!r})"


def _whole(value, path: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RuleError(path, f"must be a whole number from {low} to {high}{_got(value)}")
    return value


def _number(value, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RuleError(path, "must be a number or a decimal string")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise RuleError(path, f"“{value}” is not a number") from None
    if not number.is_finite():
        raise RuleError(path, "must be a finite number")
    return number


def rule_to_json(rule: Rule | None):
    if rule is None:
        return None
    if isinstance(rule, AllOf):
        return {"all": [rule_to_json(part) for part in rule.parts]}
    if isinstance(rule, AnyOf):
        return {"any": [rule_to_json(part) for part in rule.parts]}
    if isinstance(rule, CertificationCondition):
        return {"certification": rule.certification, "min": rule.min}
    return {
        "metric": rule.metric,
        "agg": rule.agg,
        "window": rule.window,
        "op": rule.op,
        "value": _decimal_text(rule.value),
    }


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def conditions_of(rule: Rule | None) -> list[MetricCondition | CertificationCondition]:
    if rule is None:
        return []
    if isinstance(rule, AllOf | AnyOf):
        return [condition for part in rule.parts for condition in conditions_of(part)]
    return [rule]


# --- windows ------------------------------------------------------------------------------


def window_months(on: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """First and last month (as the 1st) of the `months` complete months before `on`'s month."""
    index = on.year * 12 + on.month - 1  # months since year 0, for on's month
    first, last = index - months, index - 1
    return (
        datetime.date(first // 12, first % 12 + 1, 1),
        datetime.date(last // 12, last % 12 + 1, 1),
    )


# --- facts and evaluation -------------------------------------------------------------------


@dataclass(frozen=True)
class WindowStats:
    """A partner's values of one metric over one window: what the aggregates need."""

    total: Decimal = Decimal(0)
    count: int = 0
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    latest: Decimal | None = None


NO_VALUES = WindowStats()


@dataclass(frozen=True)
class PartnerFacts:
    """Everything the rules of a program read about one partner on one date."""

    metrics: Mapping[tuple[str, int], WindowStats] = field(default_factory=dict)
    certified: Mapping[str, int] = field(default_factory=dict)

    def window(self, metric: str, months: int) -> WindowStats:
        return self.metrics.get((metric, months), NO_VALUES)


@dataclass(frozen=True)
class ConditionResult:
    condition: MetricCondition | CertificationCondition
    value: Decimal | None  # None: no value in the window (avg, min, max, latest)
    held: bool

    @property
    def target(self) -> Decimal:
        condition = self.condition
        return (
            Decimal(condition.min)
            if isinstance(condition, CertificationCondition)
            else condition.value
        )

    @property
    def shortfall(self) -> Decimal | None:
        """How much more is needed to meet a ≥ or > target (None when held or not that kind)."""
        if self.held:
            return None
        condition = self.condition
        if isinstance(condition, CertificationCondition):
            return Decimal(condition.min) - (self.value or 0)
        if condition.op in (">=", ">") and condition.agg in ("sum", "count"):
            return condition.value - (self.value or 0)
        return None

    @property
    def progress(self) -> int:
        """0–100, for a progress bar toward a ≥ / > target."""
        if self.held:
            return 100
        target, value = self.target, self.value
        if value is None or target <= 0 or getattr(self.condition, "op", ">=") not in (">=", ">"):
            return 0
        return max(0, min(99, int(value * 100 / target)))


@dataclass(frozen=True)
class Decision:
    held: bool
    conditions: tuple[ConditionResult, ...]


def evaluate(rule: Rule | None, facts: PartnerFacts) -> Decision:
    """Decide `rule` for one partner, explaining every condition (no short-circuit)."""
    if rule is None:
        return Decision(True, ())
    results: list[ConditionResult] = []
    held = _holds(rule, facts, results)
    return Decision(held, tuple(results))


def _holds(rule: Rule, facts: PartnerFacts, results: list[ConditionResult]) -> bool:
    if isinstance(rule, AllOf):
        outcomes = [_holds(part, facts, results) for part in rule.parts]
        return all(outcomes)
    if isinstance(rule, AnyOf):
        outcomes = [_holds(part, facts, results) for part in rule.parts]
        return any(outcomes)
    if isinstance(rule, CertificationCondition):
        people = facts.certified.get(rule.certification, 0)
        result = ConditionResult(rule, Decimal(people), people >= rule.min)
    else:
        result = _metric_result(rule, facts.window(rule.metric, rule.window))
    results.append(result)
    return result.held


def _compare(left: Decimal, op: str, right: Decimal) -> bool:
    if op == ">=":
        return left >= right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    if op == "<":
        return left < right
    return left == right


def _exact_product(number: Decimal, factor: int) -> Decimal:
    """number × factor with every digit kept (the default context keeps 28 and rounds)."""
    digits = len(number.as_tuple().digits) + len(str(factor)) + 1
    with localcontext() as context:
        context.prec = max(context.prec, digits)
        return number * factor


def _metric_result(condition: MetricCondition, stats: WindowStats) -> ConditionResult:
    agg, op, target = condition.agg, condition.op, condition.value
    if agg == "sum":
        return ConditionResult(condition, stats.total, _compare(stats.total, op, target))
    if agg == "count":
        count = Decimal(stats.count)
        return ConditionResult(condition, count, _compare(count, op, target))
    if stats.count == 0:
        return ConditionResult(condition, None, False)
    if agg == "avg":
        # avg OP target  ⇔  total OP target × count, as count > 0: no division, no rounding.
        held = _compare(stats.total, op, _exact_product(target, stats.count))
        return ConditionResult(condition, stats.total / stats.count, held)
    value = {"min": stats.minimum, "max": stats.maximum, "latest": stats.latest}[agg]
    if value is None:  # cannot happen with count > 0; said for the type checker
        return ConditionResult(condition, None, False)
    return ConditionResult(condition, value, _compare(value, op, target))


# --- tiers and placement --------------------------------------------------------------------


@dataclass(frozen=True)
class TierRule:
    key: str
    rank: int
    rule: Rule | None


def qualified_tier(tiers: Sequence[TierRule], facts: PartnerFacts) -> tuple[TierRule | None, dict]:
    """The highest-ranked tier whose rule holds, and every tier's decision (for explanations)."""
    decisions = {tier.key: evaluate(tier.rule, facts) for tier in tiers}
    held = [tier for tier in tiers if decisions[tier.key].held]
    return (max(held, key=lambda tier: tier.rank) if held else None), decisions


PLACED, PROMOTION, DEMOTION = "placed", "promotion", "demotion"
GRACE_EXPIRY, OVERRIDE = "grace_expiry", "override"


@dataclass(frozen=True)
class Standing:
    """Where a partner stands: its tier (key and rank) and since when it is at risk."""

    tier: str | None = None
    rank: int | None = None
    at_risk_since: datetime.date | None = None


@dataclass(frozen=True)
class Move:
    standing: Standing
    reason: str | None  # None: the tier did not change
    became_at_risk: bool = False


def place(
    *,
    current: Standing,
    qualified: TierRule | None,
    override: TierRule | None,
    override_until: datetime.date | None,
    grace_days: int,
    on: datetime.date,
) -> Move:
    """The placement rules, applied on date `on`."""
    if override is not None and override_until is not None and on < override_until:
        standing = Standing(override.key, override.rank, None)
        return Move(standing, OVERRIDE if override.key != current.tier else None)

    qualified_standing = Standing(
        qualified.key if qualified else None, qualified.rank if qualified else None, None
    )
    if (
        current.tier is None
        or current.rank is None
        or (qualified is not None and qualified.rank >= current.rank)
    ):
        if qualified_standing.tier == current.tier:
            return Move(qualified_standing, None)
        return Move(qualified_standing, PLACED if current.tier is None else PROMOTION)

    # The partner qualifies lower than it stands (or for no tier at all).
    if grace_days == 0:
        return Move(qualified_standing, DEMOTION)
    if current.at_risk_since is None:
        return Move(Standing(current.tier, current.rank, on), None, became_at_risk=True)
    if on >= current.at_risk_since + datetime.timedelta(days=grace_days):
        return Move(qualified_standing, GRACE_EXPIRY)
    return Move(current, None)
