"""Programs as files (load_program / export_program) and criteria versions."""

import json
import re

from django.db import transaction
from django.db.models.deletion import ProtectedError

from metrics.models import Metric, MetricUnit
from training.models import Certification

from .engine import RuleError, parse_rule, rule_to_json
from .models import Benefit, BenefitKind, CriteriaVersion, Placement, Program, Tier

TIER_COLOURS = ("#6b7280", "#7b8ca3", "#b8860b", "#3f5a7a", "#6d3fa0")  # by rank, when not given
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class ProgramFileError(ValueError):
    pass


def program_export(program: Program) -> dict:
    tiers = program.tiers.order_by("rank").prefetch_related("benefits")
    metric_keys, certification_keys = _referenced_keys(tiers)
    return {
        "key": program.key,
        "name": program.name,
        "grace_days": program.grace_days,
        "metrics": [
            {"key": m.key, "name": m.name, "unit": m.unit}
            for m in Metric.objects.filter(key__in=metric_keys).order_by("key")
        ],
        "certifications": [
            {"key": c.key, "name": c.name}
            for c in Certification.objects.filter(key__in=certification_keys).order_by("key")
        ],
        "tiers": [
            {
                "key": tier.key,
                "name": tier.name,
                "rank": tier.rank,
                "colour": tier.colour,
                "rule": rule_to_json(parse_rule(tier.rule)),
                "benefits": [
                    {
                        "title": b.title,
                        "kind": b.kind,
                        "value": b.value,
                        "description": b.description,
                    }
                    for b in tier.benefits.all()
                ],
            }
            for tier in tiers
        ],
    }


def _referenced_keys(tiers) -> tuple[set[str], set[str]]:
    from .engine import CertificationCondition, MetricCondition, conditions_of

    metrics, certifications = set(), set()
    for tier in tiers:
        for condition in conditions_of(parse_rule(tier.rule)):
            if isinstance(condition, MetricCondition):
                metrics.add(condition.metric)
            elif isinstance(condition, CertificationCondition):
                certifications.add(condition.certification)
    return metrics, certifications


def validate_program_file(data) -> dict:
    """The file's content, checked whole; ProgramFileError names the tier and the bad part."""
    if not isinstance(data, dict):
        raise ProgramFileError("The file must hold one JSON object.")
    for name in ("key", "name"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ProgramFileError(f"“{name}” is missing or empty.")
    grace = data.get("grace_days", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
        raise ProgramFileError("“grace_days” must be a whole number ≥ 0.")
    tiers = data.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        raise ProgramFileError("“tiers” must be a non-empty list.")
    seen_keys, seen_ranks = set(), set()
    for n, tier in enumerate(tiers):
        label = f"tier {tier.get('key', n) if isinstance(tier, dict) else n}"
        if not isinstance(tier, dict):
            raise ProgramFileError(f"{label}: must be an object.")
        if not isinstance(tier.get("key"), str) or not isinstance(tier.get("name"), str):
            raise ProgramFileError(f"{label}: needs a key and a name.")
        rank = tier.get("rank")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
            raise ProgramFileError(f"{label}: rank must be a whole number ≥ 0.")
        if tier["key"] in seen_keys or rank in seen_ranks:
            raise ProgramFileError(f"{label}: its key or rank repeats another tier's.")
        if "colour" in tier and not COLOUR.fullmatch(str(tier["colour"])):
            raise ProgramFileError(f"{label}: colour must be written #rrggbb.")
        seen_keys.add(tier["key"])
        seen_ranks.add(rank)
        try:
            parse_rule(tier.get("rule"))
        except RuleError as error:
            raise ProgramFileError(f"{label}: {error.path}: {error.message}") from None
        for b, benefit in enumerate(tier.get("benefits") or []):
            if not isinstance(benefit, dict) or not str(benefit.get("title", "")).strip():
                raise ProgramFileError(f"{label}: benefits[{b}] needs a title.")
            if benefit.get("kind", "other") not in BenefitKind.values:
                raise ProgramFileError(
                    f"{label}: benefits[{b}].kind must be one of {', '.join(BenefitKind.values)}."
                )
    for listed in ("metrics", "certifications"):
        for item in data.get(listed) or []:
            if not isinstance(item, dict) or not item.get("key"):
                raise ProgramFileError(f"every entry of “{listed}” needs a key.")
            if listed == "metrics" and item.get("unit", "count") not in MetricUnit.values:
                raise ProgramFileError(f"metric {item['key']}: unknown unit “{item['unit']}”.")
    return data


@transaction.atomic
def program_load(*, tenant, data: dict, by=None) -> tuple[Program, bool]:
    """Create or update a program from its file; (program, whether anything changed)."""
    data = validate_program_file(data)
    for item in data.get("metrics") or []:
        Metric.objects.get_or_create(
            tenant=tenant,
            key=item["key"],
            defaults={"name": item.get("name") or item["key"], "unit": item.get("unit", "count")},
        )
    for item in data.get("certifications") or []:
        Certification.objects.get_or_create(
            tenant=tenant, key=item["key"], defaults={"name": item.get("name") or item["key"]}
        )
    program, _ = Program.objects.get_or_create(
        tenant=tenant, key=data["key"], defaults={"name": data["name"]}
    )
    before = program_export(program) if program.version else None
    program.name, program.grace_days = data["name"], data.get("grace_days", 0)
    program.save(update_fields=["name", "grace_days"])
    wanted = {tier["key"] for tier in data["tiers"]}
    for tier in program.tiers.exclude(key__in=wanted):
        if Placement.objects.filter(tier=tier).exists():
            raise ProgramFileError(
                f"tier {tier.key}: not in the file, but partners are placed in it."
            )
        try:
            tier.delete()
        except ProtectedError:
            raise ProgramFileError(
                f"tier {tier.key}: not in the file, but history refers to it."
            ) from None
    # Ranks are unique: move every kept tier out of the way before setting the new ranks.
    for offset, tier in enumerate(program.tiers.all()):
        Tier.objects.filter(pk=tier.pk).update(rank=100_000 + offset)
    for item in data["tiers"]:
        tier, _ = Tier.objects.update_or_create(
            program=program,
            key=item["key"],
            defaults={
                "tenant": tenant,
                "name": item["name"],
                "rank": item["rank"],
                "rule": rule_to_json(parse_rule(item.get("rule"))),
            },
        )
        tier.benefits.all().delete()
        Benefit.objects.bulk_create(
            Benefit(
                tenant=tenant,
                tier=tier,
                position=n,
                title=b["title"].strip(),
                kind=b.get("kind", "other"),
                value=b.get("value", "") or "",
                description=b.get("description", "") or "",
            )
            for n, b in enumerate(item.get("benefits") or [])
        )
    changed = criteria_version_save(program=program, before=before, by=by)
    return program, changed


def criteria_version_save(*, program: Program, before: dict | None, by=None) -> bool:
    """Record a new criteria version when the program's tiers, rules or benefits changed."""
    after = program_export(program)
    if before is not None and _criteria(before) == _criteria(after):
        return False
    program.version += 1
    program.save(update_fields=["version"])
    CriteriaVersion.objects.create(
        tenant=program.tenant,
        program=program,
        number=program.version,
        snapshot=after,
        changes=describe_changes(before, after),
        created_by=by,
    )
    return True


def _criteria(snapshot: dict) -> str:
    wanted = {key: snapshot[key] for key in ("name", "grace_days", "tiers")}
    return json.dumps(wanted, sort_keys=True)


def describe_changes(before: dict | None, after: dict) -> list[str]:
    """What changed between two versions, line by line, for people."""
    if before is None:
        return [f"Program created with tiers {', '.join(t['key'] for t in after['tiers'])}."]
    lines = []
    if before["grace_days"] != after["grace_days"]:
        lines.append(f"Grace period: {before['grace_days']} → {after['grace_days']} days.")
    old = {t["key"]: t for t in before["tiers"]}
    new = {t["key"]: t for t in after["tiers"]}
    for key in sorted(new.keys() - old.keys()):
        lines.append(f"Tier {key} added (rank {new[key]['rank']}).")
    for key in sorted(old.keys() - new.keys()):
        lines.append(f"Tier {key} removed.")
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if a["name"] != b["name"] or a["rank"] != b["rank"]:
            lines.append(
                f"Tier {key}: {a['name']} (rank {a['rank']}) → {b['name']} (rank {b['rank']})."
            )
        if a["rule"] != b["rule"]:
            lines.append(
                f"Tier {key} rule: {describe_rule(a['rule'])} → {describe_rule(b['rule'])}."
            )
        if a["benefits"] != b["benefits"]:
            lines.append(f"Tier {key} benefits: {_titles(a)} → {_titles(b)}.")
    return lines or ["No change to tiers or rules."]


def _titles(tier: dict) -> str:
    return (
        ", ".join(
            f"{b['title']} ({b['value']})" if b.get("value") else b["title"]
            for b in tier["benefits"]
        )
        or "none"
    )


def describe_rule(rule) -> str:
    if rule is None:
        return "always qualifies"
    if "all" in rule:
        return (
            "(" + " and ".join(describe_rule(p) for p in rule["all"]) + ")"
            if rule["all"]
            else "always"
        )
    if "any" in rule:
        return (
            "(" + " or ".join(describe_rule(p) for p in rule["any"]) + ")"
            if rule["any"]
            else "never"
        )
    if "certification" in rule:
        return f"{rule['min']}+ people certified {rule['certification']}"
    months = rule["window"]
    return f"{rule['agg']} of {rule['metric']} over {months} months {rule['op']} {rule['value']}"


@transaction.atomic
def tier_rule_save(*, tier: Tier, rule, by) -> bool:
    """Save a tier's rule from the editor; a real change makes a new criteria version."""
    program = tier.program
    before = program_export(program)
    tier.rule = rule_to_json(parse_rule(rule))
    tier.save(update_fields=["rule"])
    return criteria_version_save(program=program, before=before, by=by)


@transaction.atomic
def tier_benefits_save(*, tier: Tier, benefits: list[dict], by) -> bool:
    """Replace a tier's benefits, in order; a real change makes a new criteria version."""
    program = tier.program
    before = program_export(program)
    tier.benefits.all().delete()
    Benefit.objects.bulk_create(
        Benefit(
            tenant=tier.tenant,
            tier=tier,
            position=n,
            title=b["title"].strip(),
            kind=b.get("kind") or "other",
            value=b.get("value") or "",
            description=b.get("description") or "",
        )
        for n, b in enumerate(benefits)
    )
    return criteria_version_save(program=program, before=before, by=by)
