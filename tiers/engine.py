"""The tier rule engine: pure functions, no Django, no database.

A rule is JSON: {"all": [...]}, {"any": [...]}, a metric condition
{"metric", "agg", "window", "op", "value"}, a certification condition {"certification", "min"},
a partner condition {"partner", "in"} or a points condition {"points": [...], "op", "value"}; a
tier whose rule is null always qualifies (README, "The rule language"). `parse_rule` turns the JSON
into frozen objects (or says which part is wrong, by path); `evaluate` decides a rule against one
partner's facts and explains every condition, and that one explanation feeds placement, the
partner's progress bars and the what-if preview alike.
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, getcontext, localcontext

AGGREGATES = ("sum", "avg", "min", "max", "latest", "count")
GROWTH = "growth"  # not in AGGREGATES: the refusal of an unknown agg keeps its old wording
OPERATORS = (">=", ">", "<=", "<", "==")
MAX_WINDOW = 36
FISCAL_WINDOWS = ("fytd", "last_fy", "last_fq")
Window = int | str  # a number of complete months before D's month, or a fiscal window


class RuleError(ValueError):
    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class MetricCondition:
    metric: str
    agg: str
    window: Window
    op: str
    value: Decimal
    min_months: int | None = None  # false unless this many months of the window have a value


@dataclass(frozen=True)
class CertificationCondition:
    certification: str | tuple[str, ...]  # a tuple: a family, any one of which counts
    min: int


@dataclass(frozen=True)
class PartnerCondition:
    """The partner's own attribute is one of the values (exact match)."""

    attribute: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class PointsWhen:
    """`add` points when `rule` holds."""

    rule: Rule
    add: Decimal


@dataclass(frozen=True)
class PointsPer:
    """`add` points for every whole `per` of a metric's aggregate, at most `max`."""

    metric: str
    agg: str
    window: Window
    per: Decimal
    add: Decimal
    max: Decimal | None = None


@dataclass(frozen=True)
class PointsCondition:
    """The sum of the parts' points, compared to a value."""

    parts: tuple[PointsWhen | PointsPer, ...]
    op: str
    value: Decimal


@dataclass(frozen=True)
class AllOf:
    parts: tuple


@dataclass(frozen=True)
class AnyOf:
    parts: tuple


Condition = MetricCondition | CertificationCondition | PartnerCondition | PointsCondition
Rule = Condition | AllOf | AnyOf
PARTNER_ATTRIBUTES = ("type", "region")


def parse_rule(data, path: str = "rule") -> Rule | None:
    """The rule as objects, or RuleError naming the path to the first wrong part."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise RuleError(path, "must be an object: all, any, a metric or a certification condition")
    kinds = [kind for kind in RULE_KINDS if kind in data]
    if not kinds:
        unknown = sorted(set(data) - RULE_FIELDS)
        if unknown:
            raise RuleError(f"{path}.{unknown[0]}", unknown_field(unknown[0], RULE_FIELDS))
    if len(kinds) != 1:
        # The older kinds keep their message word for word (clients match on it).
        if "points" in kinds:
            conditions = "metric, certification, partner or points"
        elif "partner" in kinds:
            conditions = "metric, certification or partner"
        else:
            conditions = "metric or certification"
        raise RuleError(path, f"must have exactly one of all, any, {conditions}")
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
        named = data.get("certification")
        return CertificationCondition(
            certification=_keys(named, f"{path}.certification")
            if isinstance(named, list)
            else _key(named, f"{path}.certification"),
            min=_whole(data.get("min"), f"{path}.min", low=0, high=1_000_000),
        )
    if kind == "partner":
        _only(data, {"partner", "in"}, path)
        attribute = data.get("partner")
        if attribute not in PARTNER_ATTRIBUTES:
            raise RuleError(
                f"{path}.partner",
                f"must be one of {', '.join(PARTNER_ATTRIBUTES)}{_got(attribute)}",
            )
        return PartnerCondition(attribute=attribute, values=_keys(data.get("in"), f"{path}.in"))
    if kind == "points":
        _only(data, {"points", "op", "value"}, path)
        return PointsCondition(
            parts=_points_parts(data.get("points"), f"{path}.points"),
            op=_op(data.get("op"), f"{path}.op"),
            value=_number(data.get("value"), f"{path}.value"),
        )
    _only(data, {"metric", "agg", "window", "op", "value", "min_months"}, path)
    agg = _agg(data.get("agg"), f"{path}.agg")
    op = _op(data.get("op"), f"{path}.op")
    window = _window(data.get("window"), f"{path}.window", agg=agg)
    min_months = data.get("min_months")
    return MetricCondition(
        metric=_key(data.get("metric"), f"{path}.metric"),
        agg=agg,
        window=window,
        op=op,
        value=_number(data.get("value"), f"{path}.value"),
        min_months=None
        if min_months is None
        else _whole(min_months, f"{path}.min_months", low=1, high=window_length(window)),
    )


def _agg(agg, path: str) -> str:
    if agg == GROWTH or agg in AGGREGATES:
        return agg
    if isinstance(agg, str) and closest(agg, [GROWTH]):
        raise RuleError(path, f"must be one of {', '.join(AGGREGATES)} or growth{_got(agg)}")
    raise RuleError(path, f"must be one of {', '.join(AGGREGATES)}{_got(agg)}")


def _op(op, path: str) -> str:
    if op not in OPERATORS:
        raise RuleError(path, f"must be one of {', '.join(OPERATORS)}{_got(op)}")
    return op


def _window(window, path: str, *, agg: str) -> Window:
    if isinstance(window, str):
        if agg == GROWTH:
            raise RuleError(
                path, f"growth compares a number of months with as many before (got {window!r})"
            )
        if window in FISCAL_WINDOWS:
            return window
        guess = closest(window, FISCAL_WINDOWS)
        hint = f"; did you mean “{guess}”?" if guess else ""
        raise RuleError(
            path,
            f"must be a whole number from 1 to {MAX_WINDOW} or one of "
            f"{', '.join(FISCAL_WINDOWS)} (got {window!r}{hint})",
        )
    return _whole(window, path, low=1, high=MAX_WINDOW)


POINTS_WHEN_FIELDS = {"when", "add"}
POINTS_PER_FIELDS = {"metric", "agg", "window", "per", "add", "max"}


def _points_parts(parts, path: str) -> tuple[PointsWhen | PointsPer, ...]:
    if not isinstance(parts, list) or not parts:
        raise RuleError(path, "must be a non-empty list of parts")
    if len(parts) > 100:
        raise RuleError(path, "lists at most 100 parts")
    return tuple(_points_part(part, f"{path}[{n}]") for n, part in enumerate(parts))


def _points_part(part, path: str) -> PointsWhen | PointsPer:
    shape = 'must be {"when": a rule, "add": N} or {"metric", "agg", "window", "per", "add"}'
    if not isinstance(part, dict):
        raise RuleError(path, shape)
    if "when" in part:
        _only(part, POINTS_WHEN_FIELDS, path)
        rule = parse_rule(part["when"], f"{path}.when")
        if rule is None:
            raise RuleError(f"{path}.when", "must be a rule (not null)")
        return PointsWhen(rule=rule, add=_number(part.get("add"), f"{path}.add"))
    if "metric" not in part:
        unknown = sorted(set(part) - POINTS_WHEN_FIELDS - POINTS_PER_FIELDS)
        if unknown:
            known = POINTS_WHEN_FIELDS | POINTS_PER_FIELDS
            raise RuleError(f"{path}.{unknown[0]}", unknown_field(unknown[0], known))
        raise RuleError(path, shape)
    _only(part, POINTS_PER_FIELDS, path)
    agg = _agg(part.get("agg"), f"{path}.agg")
    per = _number(part.get("per"), f"{path}.per")
    if per <= 0:
        raise RuleError(f"{path}.per", f"must be above 0 (got {part.get('per')!r})")
    cap = part.get("max")
    maximum = None if cap is None else _number(cap, f"{path}.max")
    if maximum is not None and maximum < 0:
        raise RuleError(f"{path}.max", f"must be 0 or more (got {cap!r})")
    return PointsPer(
        metric=_key(part.get("metric"), f"{path}.metric"),
        agg=agg,
        window=_window(part.get("window"), f"{path}.window", agg=agg),
        per=per,
        add=_number(part.get("add"), f"{path}.add"),
        max=maximum,
    )


RULE_KINDS = ("all", "any", "metric", "certification", "partner", "points")
RULE_FIELDS = {
    "points",
    "when",
    "add",
    "per",
    "max",
    "all",
    "any",
    "metric",
    "agg",
    "window",
    "op",
    "value",
    "min_months",
    "certification",
    "min",
    "partner",
    "in",
}


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


def certification_keys(named) -> tuple[str, ...]:
    """The keys a certification condition names, as parsed (str or tuple) or as JSON (str or
    list): one, or each of a family."""
    return tuple(named) if isinstance(named, list | tuple) else (named,)


def _keys(value, path: str) -> tuple[str, ...]:
    """A non-empty list of distinct keys, in the order given."""
    if not isinstance(value, list) or not value:
        raise RuleError(path, "must be a non-empty list of keys")
    if len(value) > 100:
        raise RuleError(path, "lists at most 100 keys")
    keys = tuple(_key(item, f"{path}[{n}]") for n, item in enumerate(value))
    for n, key in enumerate(keys):
        if key in keys[:n]:
            raise RuleError(f"{path}[{n}]", f"repeats “{key}”")
    return keys


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
        named = rule.certification
        return {
            "certification": list(named) if isinstance(named, tuple) else named,
            "min": rule.min,
        }
    if isinstance(rule, PartnerCondition):
        return {"partner": rule.attribute, "in": list(rule.values)}
    if isinstance(rule, PointsCondition):
        return {
            "points": [_points_part_json(part) for part in rule.parts],
            "op": rule.op,
            "value": decimal_text(rule.value),
        }
    data = {
        "metric": rule.metric,
        "agg": rule.agg,
        "window": rule.window,
        "op": rule.op,
        "value": decimal_text(rule.value),
    }
    if rule.min_months is not None:
        data["min_months"] = rule.min_months
    return data


def _points_part_json(part: PointsWhen | PointsPer) -> dict:
    if isinstance(part, PointsWhen):
        return {"when": rule_to_json(part.rule), "add": decimal_text(part.add)}
    data = {
        "metric": part.metric,
        "agg": part.agg,
        "window": part.window,
        "per": decimal_text(part.per),
        "add": decimal_text(part.add),
    }
    if part.max is not None:
        data["max"] = decimal_text(part.max)
    return data


def decimal_text(value: Decimal) -> str:
    """The shortest exact text of a decimal: 3.50 → "3.5", 20000.00 → "20000"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def conditions_of(rule: Rule | None) -> list[Condition]:
    """The rule's conditions in the order `evaluate` explains them (a points condition is one;
    its parts are explained inside it)."""
    if rule is None:
        return []
    if isinstance(rule, AllOf | AnyOf):
        return [condition for part in rule.parts for condition in conditions_of(part)]
    return [rule]


def conditions_read(
    rule: Rule | None,
) -> list[MetricCondition | CertificationCondition | PartnerCondition]:
    """Every condition whose facts the rule reads, inside points parts too (a part that counts a
    metric reads as a metric condition with that metric, aggregate and window)."""
    found: list = []
    for condition in conditions_of(rule):
        if not isinstance(condition, PointsCondition):
            found.append(condition)
            continue
        for part in condition.parts:
            if isinstance(part, PointsWhen):
                found += conditions_read(part.rule)
            else:
                found.append(MetricCondition(part.metric, part.agg, part.window, ">=", part.per))
    return found


# --- windows ------------------------------------------------------------------------------


def window_months(on: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """First and last month (as the 1st) of the `months` complete months before `on`'s month."""
    index = on.year * 12 + on.month - 1  # months since year 0, for on's month
    first, last = index - months, index - 1
    return (
        datetime.date(first // 12, first % 12 + 1, 1),
        datetime.date(last // 12, last % 12 + 1, 1),
    )


def window_length(window: Window) -> int:
    """The most months a window spans (fytd spans fewer early in the fiscal year)."""
    if isinstance(window, int):
        return window
    return 3 if window == "last_fq" else 12


def window_span(
    window: Window, on: datetime.date, fiscal_start: int = 1
) -> tuple[datetime.date, datetime.date]:
    """First and last month (as the 1st) a window reads on date `on`, for a fiscal year that
    starts in month `fiscal_start`."""
    if isinstance(window, int):
        return window_months(on, window)
    index = on.year * 12 + on.month - 1
    into_year = (on.month - fiscal_start) % 12  # complete months of this fiscal year before on
    if window == "fytd":
        first, last = (index - 12, index - 1) if into_year == 0 else (index - into_year, index - 1)
    elif window == "last_fy":
        first, last = index - into_year - 12, index - into_year - 1
    else:  # last_fq: the last complete fiscal quarter
        into_quarter = into_year % 3
        first, last = index - into_quarter - 3, index - into_quarter - 1
    return _month(first), _month(last)


def _month(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def before_span(window: int, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The `window` months just before the window (what growth compares with)."""
    first, _ = window_months(on, window)
    index = first.year * 12 + first.month - 1
    return _month(index - window), _month(index - 1)


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
STATS_FIELD = {"min": "minimum", "max": "maximum", "latest": "latest"}  # an aggregate's field


@dataclass(frozen=True)
class PartnerFacts:
    """Everything the rules of a program read about one partner on one date."""

    metrics: Mapping[tuple[str, Window], WindowStats] = field(default_factory=dict)
    # people holding a certification, by its key, or by a family's tuple of keys (any of them)
    certified: Mapping[str | tuple[str, ...], int] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)  # the partner's type, region
    before: Mapping[tuple[str, int], WindowStats] = field(default_factory=dict)  # for growth

    def window(self, metric: str, window: Window) -> WindowStats:
        return self.metrics.get((metric, window), NO_VALUES)

    def window_before(self, metric: str, months: int) -> WindowStats:
        return self.before.get((metric, months), NO_VALUES)


@dataclass(frozen=True)
class PartResult:
    """One points part: the points it adds, and what it read (a metric part's aggregate, or
    whether a "when" part's rule holds)."""

    points: Decimal
    value: Decimal | None = None
    held: bool | None = None


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    # None: no value in the window (avg, min, max, latest), growth over nothing, an attribute
    value: Decimal | None
    held: bool
    parts: tuple[PartResult, ...] = ()  # a points condition's, in its order

    @property
    def target(self) -> Decimal:
        condition = self.condition
        if isinstance(condition, CertificationCondition):
            return Decimal(condition.min)
        if isinstance(condition, PartnerCondition):
            return Decimal(1)
        return condition.value

    @property
    def shortfall(self) -> Decimal | None:
        """How much more is needed to meet a ≥ or > target (None when held or not that kind)."""
        if self.held:
            return None
        condition = self.condition
        if isinstance(condition, CertificationCondition):
            return Decimal(condition.min) - (self.value or 0)
        if isinstance(condition, PartnerCondition):
            return None
        if isinstance(condition, PointsCondition):
            if condition.op in (">=", ">"):
                return condition.value - (self.value or 0)
            return None
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


NO_RULE = Decision(True, ())  # a tier without a rule: every partner qualifies, nothing to explain


def evaluate(rule: Rule | None, facts: PartnerFacts) -> Decision:
    """Decide `rule` for one partner, explaining every condition (no short-circuit)."""
    if rule is None:
        return NO_RULE
    results: list[ConditionResult] = []
    held = _holds(rule, facts, results)
    return Decision(held, tuple(results))


def _holds(rule: Rule, facts: PartnerFacts, results: list[ConditionResult]) -> bool:
    if isinstance(rule, MetricCondition):  # the commonest kind first: this runs per partner
        result = _metric_result(rule, facts)
    elif isinstance(rule, AllOf):
        outcomes = [_holds(part, facts, results) for part in rule.parts]  # each one explained
        return all(outcomes)
    elif isinstance(rule, AnyOf):
        outcomes = [_holds(part, facts, results) for part in rule.parts]
        return any(outcomes)
    elif isinstance(rule, CertificationCondition):
        people = facts.certified.get(rule.certification, 0)
        result = ConditionResult(rule, Decimal(people), people >= rule.min)
    elif isinstance(rule, PartnerCondition):
        result = ConditionResult(rule, None, facts.attributes.get(rule.attribute) in rule.values)
    else:
        result = _points_result(rule, facts)
    results.append(result)
    return result.held


COMPARISONS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


def compare(left: Decimal, op: str, right: Decimal) -> bool:
    return COMPARISONS[op](left, right)


def _exact_product(number: Decimal, factor: int) -> Decimal:
    """number × factor with every digit kept (the default context keeps 28 and rounds)."""
    digits = len(number.as_tuple().digits) + len(str(factor)) + 1
    if digits <= getcontext().prec:
        return number * factor
    with localcontext() as context:
        context.prec = digits
        return number * factor


def _metric_result(condition: MetricCondition, facts: PartnerFacts) -> ConditionResult:
    """The aggregate and whether it meets the target; never held on fewer than `min_months`
    months with a value (the value is still given, for the explanation)."""
    stats = facts.window(condition.metric, condition.window)
    if condition.agg == GROWTH and isinstance(condition.window, int):  # parse_rule sees to it
        result = _growth_result(
            condition, stats, facts.window_before(condition.metric, condition.window)
        )
    else:
        result = _aggregate_result(condition, stats)
    if condition.min_months is not None and stats.count < condition.min_months:
        return ConditionResult(condition, result.value, False)
    return result


GROWTH_SHOWN = Decimal("0.01")  # growth is explained to two decimals; it is decided exactly


def _growth_result(
    condition: MetricCondition, stats: WindowStats, before: WindowStats
) -> ConditionResult:
    """growth % OP value  ⇔  (cur − prev) × 100 OP value × prev, as prev > 0: exact."""
    current, previous = stats.total, before.total
    if previous <= 0:
        return ConditionResult(condition, None, False)
    with _exact():
        held = compare((current - previous) * 100, condition.op, condition.value * previous)
        shown = ((current - previous) * 100 / previous).quantize(GROWTH_SHOWN)
    return ConditionResult(condition, shown, held)


def _exact():
    """A context in which products and differences of stored decimals keep every digit."""
    return localcontext(prec=200)


def _points_result(condition: PointsCondition, facts: PartnerFacts) -> ConditionResult:
    parts = tuple(_part_result(part, facts) for part in condition.parts)
    score = sum((part.points for part in parts), Decimal(0))
    return ConditionResult(condition, score, compare(score, condition.op, condition.value), parts)


def _part_result(part: PointsWhen | PointsPer, facts: PartnerFacts) -> PartResult:
    if isinstance(part, PointsWhen):
        holds = evaluate(part.rule, facts).held
        return PartResult(part.add if holds else Decimal(0), held=holds)
    stats = facts.window(part.metric, part.window)
    before = (
        facts.window_before(part.metric, part.window)
        if part.agg == GROWTH and isinstance(part.window, int)
        else NO_VALUES
    )
    value, wholes = _aggregate_wholes(part, stats, before)
    with _exact():
        points = wholes * part.add
    if part.max is not None:
        points = min(points, part.max)
    return PartResult(points, value=value)


def _aggregate_wholes(
    part: PointsPer, stats: WindowStats, before: WindowStats
) -> tuple[Decimal | None, int]:
    """The aggregate a part counts (as explained), and how many whole `per` it holds, exactly
    (a fraction is never rounded up: 4.99 per 1 is 4; nothing, or below 0, is 0)."""
    agg = part.agg
    if agg == GROWTH:
        current, previous = stats.total, before.total
        if previous <= 0:
            return None, 0
        with _exact():
            numerator, denominator = (current - previous) * 100, previous * part.per
            shown = (numerator / previous).quantize(GROWTH_SHOWN)
        return shown, _wholes(numerator, denominator)
    if agg == "sum":
        return stats.total, _wholes(stats.total, part.per)
    if agg == "count":
        return Decimal(stats.count), _wholes(Decimal(stats.count), part.per)
    if stats.count == 0:
        return None, 0
    if agg == "avg":
        with _exact():
            denominator = part.per * stats.count
        return stats.total / stats.count, _wholes(stats.total, denominator)
    value = getattr(stats, STATS_FIELD[agg])
    if value is None:
        return None, 0
    return value, _wholes(value, part.per)


def _wholes(numerator: Decimal, denominator: Decimal) -> int:
    if numerator <= 0:
        return 0
    with _exact():
        return int(numerator // denominator)


def _aggregate_result(condition: MetricCondition, stats: WindowStats) -> ConditionResult:
    agg, op, target = condition.agg, condition.op, condition.value
    if agg == "sum":
        return ConditionResult(condition, stats.total, compare(stats.total, op, target))
    if agg == "count":
        count = Decimal(stats.count)
        return ConditionResult(condition, count, compare(count, op, target))
    if stats.count == 0:
        return ConditionResult(condition, None, False)
    if agg == "avg":
        # avg OP target  ⇔  total OP target × count, as count > 0: no division, no rounding.
        held = compare(stats.total, op, _exact_product(target, stats.count))
        return ConditionResult(condition, stats.total / stats.count, held)
    value = getattr(stats, STATS_FIELD[agg])
    if value is None:  # cannot happen with count > 0; said for the type checker
        return ConditionResult(condition, None, False)
    return ConditionResult(condition, value, compare(value, op, target))


# --- tiers and placement --------------------------------------------------------------------


@dataclass(frozen=True)
class TierRule:
    key: str
    rank: int
    rule: Rule | None


def qualified_tier(tiers: Sequence[TierRule], facts: PartnerFacts) -> tuple[TierRule | None, dict]:
    """The highest-ranked tier whose rule holds, and every tier's decision (for explanations)."""
    decisions, qualified = {}, None
    for tier in tiers:
        decisions[tier.key] = decision = evaluate(tier.rule, facts)
        if decision.held and (qualified is None or tier.rank > qualified.rank):
            qualified = tier
    return qualified, decisions


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


DEMOTION_POLICIES = ("any", "quarterly", "yearly", "anniversary")


def next_review_on(
    policy: str,
    due: datetime.date,
    *,
    fiscal_start: int = 1,
    joined_on: datetime.date | None = None,
) -> datetime.date:
    """The first review date on or after `due`: any day ("any"), the first day of a fiscal
    quarter or year, or the partner's joined-on day each year (29 February: the 28th in other
    years)."""
    if policy == "any":
        return due
    if policy == "anniversary":
        if joined_on is None:
            return due
        for year in (due.year, due.year + 1):
            day = _same_day_in(joined_on, year)
            if day >= due:
                return day
    step = 3 if policy == "quarterly" else 12
    index = due.year * 12 + due.month - 1
    into = (due.month - fiscal_start) % step  # months since the period began
    start = _month(index - into)
    if start == due:
        return due
    return _month(index - into + step)


def _same_day_in(day: datetime.date, year: int) -> datetime.date:
    if day.month == 2 and day.day == 29:
        return datetime.date(year, 2, 29 if calendar.isleap(year) else 28)
    return day.replace(year=year)


def place(
    *,
    current: Standing,
    qualified: TierRule | None,
    override: TierRule | None,
    override_until: datetime.date | None,
    grace_days: int,
    on: datetime.date,
    review: Callable[[datetime.date], datetime.date] | None = None,
) -> Move:
    """The placement rules, applied on date `on`. `review(due)`: the first review date on or
    after the day a demotion falls due; until then the partner stays, at risk (None: any day)."""
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
    if grace_days == 0 and review is None:
        return Move(qualified_standing, DEMOTION)
    if current.at_risk_since is None:
        at_risk = Standing(current.tier, current.rank, on)
        if grace_days == 0 and review is not None and on >= review(on):
            return Move(qualified_standing, DEMOTION)
        return Move(at_risk, None, became_at_risk=True)
    due = current.at_risk_since + datetime.timedelta(days=grace_days)
    if on >= due and (review is None or on >= review(due)):
        return Move(qualified_standing, DEMOTION if grace_days == 0 else GRACE_EXPIRY)
    return Move(current, None)
