"""Checking a program file, whole, before any of it is loaded.

A program file is the contract an admin keeps in version control, so a typo must be refused,
never read as something else: every object accepts only its own fields (an unknown one is named
with the closest known name), every metric and certification a rule names must exist in the
file or in the tenant, tier keys are slugs, and each refusal names the tier, the path and the
value. What is legal but probably not meant (a higher tier easier to reach than a lower one, an
`any` with no parts, a window longer than the data held) loads, with a warning.
"""

import datetime
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from metrics.models import MetricUnit

from .engine import (
    DEMOTION_POLICIES,
    GROWTH,
    RuleError,
    certification_keys,
    closest,
    parse_rule,
    unknown_field,
    window_length,
)
from .models import BenefitKind

PROGRAM_FIELDS = {
    "key",
    "name",
    "grace_days",
    "demotions",
    "demotion_approval",
    "require_closed_months",
    "metrics",
    "certifications",
    "tiers",
}
TIER_FIELDS = {"key", "name", "rank", "colour", "rule", "benefits", "rebates", "mdf"}
REBATE_FIELDS = {"metric", "rate", "cap"}
MDF_FIELDS = {"quarterly"}
BENEFIT_FIELDS = {"title", "kind", "value", "description"}
METRIC_FIELDS = {"key", "name", "unit"}
CERTIFICATION_FIELDS = {"key", "name"}
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class ProgramFileError(ValueError):
    pass


@dataclass
class TenantKeys:
    """What the tenant already has, for a file's references and its warnings."""

    metrics: set[str] = field(default_factory=set)
    certifications: set[str] = field(default_factory=set)
    first_month: Mapping[str, datetime.date] = field(default_factory=dict)  # metric key → 1st
    today: datetime.date | None = None


def program_file_check(data, keys: TenantKeys) -> list[str]:
    """Refuse a wrong file with ProgramFileError; the warnings of a loadable one."""
    if not isinstance(data, dict):
        raise ProgramFileError("The file must hold one JSON object.")
    _only_fields(data, PROGRAM_FIELDS, where=None, path="")
    for name in ("key", "name"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ProgramFileError(f"“{name}” is missing or empty.")
    _slug(data["key"], where=None, path="key")
    grace = data.get("grace_days", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
        raise ProgramFileError("“grace_days” must be a whole number ≥ 0.")
    demotions = data.get("demotions", "any")
    if demotions not in DEMOTION_POLICIES:
        guess = closest(str(demotions), DEMOTION_POLICIES)
        hint = f" (did you mean “{guess}”?)" if guess else ""
        raise ProgramFileError(
            f"demotions: must be one of {', '.join(DEMOTION_POLICIES)} (got {demotions!r}){hint}"
        )
    for flag in ("demotion_approval", "require_closed_months"):
        if not isinstance(data.get(flag, False), bool):
            raise ProgramFileError(f"{flag}: must be true or false (got {data[flag]!r})")
    metrics = set(keys.metrics) | _listed(data, "metrics", METRIC_FIELDS)
    certifications = set(keys.certifications) | _listed(
        data, "certifications", CERTIFICATION_FIELDS
    )
    tiers = data.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        raise ProgramFileError("“tiers” must be a non-empty list.")
    key_at: dict[str, int] = {}
    rank_of: dict[int, str] = {}
    for n, tier in enumerate(tiers):
        _tier_check(tier, n, key_at, rank_of, metrics, certifications)
    return _warnings(tiers, keys)


def _fail(where: str | None, path: str, message: str) -> ProgramFileError:
    prefix = f"{where}: " if where else ""
    return ProgramFileError(f"{prefix}{path}: {message}" if path else f"{prefix}{message}")


def _only_fields(data: dict, known: set[str], *, where: str | None, path: str) -> None:
    for name in sorted(set(data) - known):
        raise _fail(where, f"{path}{name}", unknown_field(name, known))


def _slug(value, *, where: str | None, path: str) -> None:
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        raise _fail(
            where,
            path,
            f"“{value}” is not a key: use lowercase letters, digits, - and _ (like gold)",
        )


def _listed(data: dict, listed: str, known: set[str]) -> set[str]:
    items = data.get(listed) or []
    if not isinstance(items, list):
        raise ProgramFileError(f"“{listed}” must be a list.")
    found = set()
    for n, item in enumerate(items):
        path = f"{listed}[{n}]"
        if not isinstance(item, dict) or not item.get("key"):
            raise ProgramFileError(f"{path}: needs a key.")
        _only_fields(item, known, where=None, path=f"{path}.")
        _slug(item["key"], where=None, path=f"{path}.key")
        if listed == "metrics" and item.get("unit", "count") not in MetricUnit.values:
            raise ProgramFileError(
                f"{path}.unit: unknown unit “{item['unit']}” "
                f"(one of {', '.join(MetricUnit.values)})."
            )
        found.add(item["key"])
    return found


def _tier_check(tier, n, key_at, rank_of, metrics, certifications) -> None:
    where = f"tier {tier.get('key', n) if isinstance(tier, dict) else n}"
    if not isinstance(tier, dict):
        raise _fail(where, "", "must be an object.")
    _only_fields(tier, TIER_FIELDS, where=where, path="")
    if not isinstance(tier.get("key"), str) or not isinstance(tier.get("name"), str):
        raise _fail(where, "", "needs a key and a name.")
    _slug(tier["key"], where=where, path="key")
    if tier["key"] in key_at:
        raise _fail(
            where, "key", f"“{tier['key']}” is also the key of tiers[{key_at[tier['key']]}]"
        )
    key_at[tier["key"]] = n
    rank = tier.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
        raise _fail(where, "rank", f"must be a whole number ≥ 0 (got {rank!r})")
    if rank in rank_of:
        raise _fail(where, "rank", f"{rank} is also the rank of tier {rank_of[rank]}")
    rank_of[rank] = tier["key"]
    if "colour" in tier and not COLOUR.fullmatch(str(tier["colour"])):
        raise _fail(where, "colour", f"must be written #rrggbb (got {tier['colour']!r})")
    try:
        parse_rule(tier.get("rule"))
    except RuleError as error:
        raise _fail(where, error.path, error.message) from None
    for path, condition in _conditions(tier.get("rule"), "rule"):
        if "metric" in condition and condition["metric"] not in metrics:
            raise _fail(where, f"{path}.metric", _unknown("metric", condition["metric"], metrics))
        for at, key in _certifications_named(condition, path):
            if key not in certifications:
                raise _fail(where, at, _unknown("certification", key, certifications))
    _incentives_check(tier, where, metrics)
    benefits = tier.get("benefits") or []
    if not isinstance(benefits, list):
        raise _fail(where, "benefits", "must be a list")
    for b, benefit in enumerate(benefits):
        path = f"benefits[{b}]"
        if not isinstance(benefit, dict) or not str(benefit.get("title", "")).strip():
            raise _fail(where, path, "needs a title.")
        _only_fields(benefit, BENEFIT_FIELDS, where=where, path=f"{path}.")
        if benefit.get("kind", "other") not in BenefitKind.values:
            raise _fail(
                where,
                f"{path}.kind",
                f"must be one of {', '.join(BenefitKind.values)} (got {benefit['kind']!r})",
            )
        value = benefit.get("value")
        if benefit.get("kind") == BenefitKind.DISCOUNT and discount_percent(value) is None:
            raise _fail(where, f"{path}.value", f"{DISCOUNT_PROBLEM} (got {value!r})")


def _incentives_check(tier: dict, where: str, metrics: set[str]) -> None:
    rebates = tier.get("rebates") or []
    if not isinstance(rebates, list):
        raise _fail(where, "rebates", "must be a list")
    seen: set[str] = set()
    for n, rebate in enumerate(rebates):
        path = f"rebates[{n}]"
        if not isinstance(rebate, dict):
            raise _fail(where, path, "must be an object with metric, rate and (optional) cap")
        _only_fields(rebate, REBATE_FIELDS, where=where, path=f"{path}.")
        metric = rebate.get("metric")
        if metric not in metrics:
            raise _fail(where, f"{path}.metric", _unknown("metric", str(metric), metrics))
        if metric in seen:
            raise _fail(where, f"{path}.metric", f"{metric} has a rebate already in this tier")
        seen.add(metric)
        rate = money_amount(rebate.get("rate"), places=4)
        if rate is None or not Decimal(0) < rate <= Decimal(100):
            raise _fail(
                where,
                f"{path}.rate",
                f"must be a percentage above 0 and up to 100 (got {rebate.get('rate')!r})",
            )
        if "cap" in rebate and money_amount(rebate["cap"], places=2) is None:
            raise _fail(where, f"{path}.cap", f"must be an amount ≥ 0 (got {rebate['cap']!r})")
    mdf = tier.get("mdf")
    if mdf is None:
        return
    if not isinstance(mdf, dict):
        raise _fail(where, "mdf", 'must be an object: {"quarterly": "10000"}')
    _only_fields(mdf, MDF_FIELDS, where=where, path="mdf.")
    if money_amount(mdf.get("quarterly"), places=2) is None:
        raise _fail(where, "mdf.quarterly", f"must be an amount ≥ 0 (got {mdf.get('quarterly')!r})")


DISCOUNT_PROBLEM = "a discount is a percentage above 0 and up to 100, such as “12 %” or “12.5”"
PERCENT = re.compile(r"\s*(\d{1,3}(?:\.\d{1,4})?)\s*%?\s*")


def discount_percent(value) -> Decimal | None:
    """The percentage a discount benefit's value states (“12 %”, “12.5”), or None."""
    found = PERCENT.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return None
    percent = Decimal(found[1])
    return percent if Decimal(0) < percent <= Decimal(100) else None


def money_amount(value, *, places: int) -> Decimal | None:
    """A non-negative decimal with at most `places` decimals, from a number or decimal text."""
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return None
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or amount < 0 or exponent < -places:
        return None  # a non-integer exponent means NaN or infinity
    return amount


def _unknown(kind: str, key: str, known: set[str]) -> str:
    guess = closest(key, known)
    hint = f" (did you mean “{guess}”?)" if guess else ""
    return f"unknown {kind} “{key}”{hint}: list it under “{kind}s” in the file, or create it first"


def _conditions(rule, path: str) -> Iterator[tuple[str, dict]]:
    """(path, condition) for every condition of a parsed-valid rule, and for every part of a
    points condition that reads a metric (inside a "when", its rule's conditions)."""
    if not isinstance(rule, dict):
        return
    for group in ("all", "any"):
        if group in rule:
            for n, part in enumerate(rule[group]):
                yield from _conditions(part, f"{path}.{group}[{n}]")
            return
    if "points" in rule:
        for n, part in enumerate(rule["points"]):
            if "when" in part:
                yield from _conditions(part["when"], f"{path}.points[{n}].when")
            else:
                yield f"{path}.points[{n}]", part
        return
    yield path, rule


def _certifications_named(condition: dict, path: str) -> Iterator[tuple[str, str]]:
    """(path, key) of each certification a condition names: one, or each of a family."""
    named = condition.get("certification")
    if isinstance(named, list):
        for n, key in enumerate(named):
            yield f"{path}.certification[{n}]", key
    elif named is not None:
        yield f"{path}.certification", named


def _groups(rule, path: str) -> Iterator[tuple[str, str, list]]:
    if isinstance(rule, dict):
        for group in ("all", "any"):
            if group in rule:
                yield path, group, rule[group]
                for n, part in enumerate(rule[group]):
                    yield from _groups(part, f"{path}.{group}[{n}]")


# --- warnings --------------------------------------------------------------------------------


def _warnings(tiers: list[dict], keys: TenantKeys) -> list[str]:
    warnings = []
    for tier in tiers:
        for path, group, parts in _groups(tier.get("rule"), "rule"):
            if group == "any" and not parts:
                warnings.append(f"tier {tier['key']}: {path}.any has no parts, so it never holds")
        if keys.today is not None:
            warnings += _window_warnings(tier, keys)
    warnings += _easier_higher_tier_warnings(tiers)
    return warnings


def _window_warnings(tier: dict, keys: TenantKeys) -> list[str]:
    found: list[str] = []
    if keys.today is None:
        return found
    this_month = keys.today.year * 12 + keys.today.month - 1
    for path, condition in _conditions(tier.get("rule"), "rule"):
        if "metric" not in condition:
            continue
        first = keys.first_month.get(condition["metric"])
        if first is None:
            found.append(f"tier {tier['key']}: {path}: {condition['metric']} has no values yet")
            continue
        held = this_month - (first.year * 12 + first.month - 1)
        window = condition["window"]
        if condition.get("agg") == GROWTH:
            reads, needed = f"{window} months and the {window} before", 2 * window
        elif isinstance(window, str):
            needed = window_length(window)
            reads = f"{window} (up to {needed} months)"
        else:
            reads, needed = f"{window} months", window
        if needed > held:
            found.append(
                f"tier {tier['key']}: {path}.window: {reads}, but "
                f"{condition['metric']} has values only since {first:%Y-%m} "
                f"({held} complete month{'s' if held != 1 else ''})"
            )
    return found


def _must_hold(rule) -> dict[tuple, Decimal]:  # key: ("metric", …) or ("certification", key)
    """The ≥/> thresholds a tier's rule requires outright (alone or directly under `all`)."""
    if not isinstance(rule, dict):
        return {}
    parts = rule.get("all", [rule])
    required: dict[tuple, Decimal] = {}
    for part in parts:
        if "metric" in part and part.get("op") in (">=", ">"):
            key = ("metric", part["metric"], part["agg"], part["window"], part["op"])
            required[key] = Decimal(str(part["value"]))
        elif "certification" in part:
            keys = certification_keys(part["certification"])
            required[("certification", keys)] = Decimal(part["min"])
    return required


def _describe(key: tuple, value: Decimal) -> str:
    if key[0] == "certification":
        return f"{value} people certified {' or '.join(key[1])}"
    _, metric, agg, window, op = key
    months = f"{window} months" if isinstance(window, int) else window
    return f"{agg} of {metric} over {months} {op} {value}"


def _easier_higher_tier_warnings(tiers: list[dict]) -> list[str]:
    ranked = sorted(tiers, key=lambda tier: tier["rank"])
    found = []
    for lower, higher in itertools.pairwise(ranked):
        asked_lower, asked_higher = _must_hold(lower.get("rule")), _must_hold(higher.get("rule"))
        for key in sorted(asked_lower.keys() & asked_higher.keys(), key=str):
            if asked_higher[key] < asked_lower[key]:
                found.append(
                    f"tier {higher['key']} asks for less than the lower tier {lower['key']}: "
                    f"{_describe(key, asked_higher[key])} against "
                    f"{_describe(key, asked_lower[key])}"
                )
    return found
