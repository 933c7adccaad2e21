"""Programs as files (load_program / export_program), the criteria editor's saves and criteria
versions: the writes that change what the rules are.

Tier writes live in two modules on purpose: this one changes the rules (each change a criteria
version with a readable diff, checked as a program file is by program_file.py); services.py
applies them (placements, history, runs, undo, overrides) and never changes a rule.
"""

import json
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.db.models.deletion import ProtectedError

from metrics.models import Metric, MetricValue
from partnerhub.tenancy.services import audit_record
from training.models import Certification

from .engine import certification_keys, decimal_text, parse_rule, rule_to_json
from .models import Benefit, CriteriaVersion, Placement, Program, Tier
from .program_file import ProgramFileError, TenantKeys, program_file_check

# A program's governance, in its file only when not the default (older files stay as they were).
GOVERNANCE_DEFAULTS = {
    "demotions": "any",
    "demotion_approval": False,
    "require_closed_months": False,
}
TIER_COLOURS = ("#6b7280", "#7b8ca3", "#b8860b", "#3f5a7a", "#6d3fa0")  # by rank, when not given


def program_export(program: Program) -> dict:
    tiers = program.tiers.order_by("rank").prefetch_related("benefits")
    metric_keys, certification_keys = _referenced_keys(tiers)
    return {
        "key": program.key,
        "name": program.name,
        "grace_days": program.grace_days,
        **{
            name: getattr(program, name)
            for name, default in GOVERNANCE_DEFAULTS.items()
            if getattr(program, name) != default
        },
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
                **_incentives_export(tier),
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


def _incentives_export(tier: Tier) -> dict:
    """The tier's rebates and MDF in the file format; absent when it has none."""
    exported: dict = {}
    if tier.rebates:
        exported["rebates"] = tier.rebates
    if tier.mdf_quarterly is not None:
        exported["mdf"] = {"quarterly": decimal_text(tier.mdf_quarterly)}
    return exported


def _rebates_stored(items) -> list[dict]:
    stored = []
    for item in items or []:
        rebate = {"metric": item["metric"], "rate": decimal_text(Decimal(str(item["rate"])))}
        if "cap" in item:
            rebate["cap"] = decimal_text(Decimal(str(item["cap"])))
        stored.append(rebate)
    return stored


def _referenced_keys(tiers) -> tuple[set[str], set[str]]:
    from .engine import CertificationCondition, MetricCondition, conditions_read

    metrics, certifications = set(), set()
    for tier in tiers:
        for condition in conditions_read(parse_rule(tier.rule)):
            if isinstance(condition, MetricCondition):
                metrics.add(condition.metric)
            elif isinstance(condition, CertificationCondition):
                certifications.update(certification_keys(condition.certification))
    return metrics, certifications


def tenant_keys(*, today=None) -> TenantKeys:
    """The tenant's metrics (with their first month of values) and certifications."""
    first_month = dict(
        MetricValue.objects.values_list("metric__key").annotate(first=Min("period")).order_by()
    )
    return TenantKeys(
        metrics=set(Metric.objects.values_list("key", flat=True)),
        certifications=set(Certification.objects.values_list("key", flat=True)),
        first_month=first_month,
        today=today,
    )


@transaction.atomic
def program_load(*, tenant, data: dict, by=None) -> tuple[Program, bool, list[str]]:
    """Create or update a program from its file: (program, whether anything changed, the
    warnings about what it loaded). ProgramFileError, and nothing written, for a wrong file."""
    warnings = program_file_check(data, tenant_keys(today=tenant.local_today()))
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
    for name, default in GOVERNANCE_DEFAULTS.items():
        setattr(program, name, data.get(name, default))
    program.save(update_fields=["name", "grace_days", *GOVERNANCE_DEFAULTS])
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
                "colour": item.get("colour") or TIER_COLOURS[min(item["rank"], 4)],
                "rule": rule_to_json(parse_rule(item.get("rule"))),
                "rebates": _rebates_stored(item.get("rebates")),
                "mdf_quarterly": Decimal(str(item["mdf"]["quarterly"]))
                if item.get("mdf")
                else None,
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
    return program, changed, warnings


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
        moves_placements=before is None or _placement_rules(before) != _placement_rules(after),
        created_by=by,
    )
    return True


def _placement_rules(snapshot: dict) -> str:
    """What placement depends on: the grace period and each tier's key, rank and rule."""
    tiers = [{key: tier[key] for key in ("key", "rank", "rule")} for tier in snapshot["tiers"]]
    return json.dumps(
        {"grace_days": snapshot["grace_days"], "tiers": tiers, **_governance(snapshot)},
        sort_keys=True,
    )


def _criteria(snapshot: dict) -> str:
    wanted = {key: snapshot[key] for key in ("name", "grace_days", "tiers")}
    return json.dumps(wanted | _governance(snapshot), sort_keys=True)


def _governance(snapshot: dict) -> dict:
    return {name: snapshot.get(name, default) for name, default in GOVERNANCE_DEFAULTS.items()}


def describe_changes(before: dict | None, after: dict) -> list[str]:
    """What changed between two versions, line by line, for people."""
    if before is None:
        return [f"Program created with tiers {', '.join(t['key'] for t in after['tiers'])}."]
    lines = []
    if before["grace_days"] != after["grace_days"]:
        lines.append(f"Grace period: {before['grace_days']} → {after['grace_days']} days.")
    for name, old_value in _governance(before).items():
        new_value = _governance(after)[name]
        if old_value != new_value:
            words = {True: "on", False: "off"}
            shown = [words.get(v, v) if isinstance(v, bool) else v for v in (old_value, new_value)]
            lines.append(f"{name.replace('_', ' ').capitalize()}: {shown[0]} → {shown[1]}.")
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
        if a.get("rebates", []) != b.get("rebates", []):
            lines.append(f"Tier {key} rebates: {_rebate_text(a)} → {_rebate_text(b)}.")
        if a.get("mdf") != b.get("mdf"):
            lines.append(
                f"Tier {key} MDF per quarter: {(a.get('mdf') or {}).get('quarterly', 'none')} → "
                f"{(b.get('mdf') or {}).get('quarterly', 'none')}."
            )
    return lines or ["No change to tiers or rules."]


def _titles(tier: dict) -> str:
    return (
        ", ".join(
            f"{b['title']} ({b['value']})" if b.get("value") else b["title"]
            for b in tier["benefits"]
        )
        or "none"
    )


def _rebate_text(tier: dict) -> str:
    rebates = tier.get("rebates") or []
    return (
        ", ".join(
            f"{r['rate']} % of {r['metric']}" + (f" up to {r['cap']}" if "cap" in r else "")
            for r in rebates
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
        named = " or ".join(certification_keys(rule["certification"]))
        return f"{rule['min']}+ people certified {named}"
    if "partner" in rule:
        return f"partner {rule['partner']} in {', '.join(rule['in'])}"
    if "points" in rule:
        parts = "; ".join(_describe_points_part(part) for part in rule["points"])
        return f"points ({parts}) {rule['op']} {rule['value']}"
    text = f"{rule['agg']} of {rule['metric']} over {_months(rule['window'])}"
    text += f" {rule['op']} {rule['value']}"
    if "min_months" in rule:
        text += f" (with values in at least {rule['min_months']} months)"
    return text


def _months(window) -> str:
    return f"{window} months" if isinstance(window, int) else window


def _describe_points_part(part: dict) -> str:
    if "when" in part:
        return f"{part['add']} when {describe_rule(part['when'])}"
    text = f"{part['add']} per {part['per']} of {part['agg']} of {part['metric']}"
    text += f" over {_months(part['window'])}"
    return text + (f" up to {part['max']}" if part.get("max") is not None else "")


def rule_change_check(*, tier: Tier, rule) -> list[str]:
    """The program file's checks, for the program with `rule` as `tier`'s rule: refused with
    ProgramFileError, or the warnings, as `load_program` would give them."""
    data = program_export(tier.program)
    for item in data["tiers"]:
        if item["key"] == tier.key:
            item["rule"] = rule
    return program_file_check(data, tenant_keys(today=tier.tenant.local_today()))


@transaction.atomic
def tier_rule_save(*, tier: Tier, rule, by) -> bool:
    """Save a tier's rule from the editor; a real change makes a new criteria version."""
    program = tier.program
    rule_change_check(tier=tier, rule=rule)
    before = program_export(program)
    tier.rule = rule_to_json(parse_rule(rule))
    tier.save(update_fields=["rule"])
    return criteria_version_save(program=program, before=before, by=by)


@transaction.atomic
def program_governance_save(
    *,
    program: Program,
    by,
    demotions: str,
    demotion_approval: bool,
    require_closed_months: bool,
    fiscal_year_start: int,
) -> bool:
    """Save how the program governs demotions and data (a real change makes a new criteria
    version) and the tenant's fiscal year start (audited: it moves every fiscal window)."""
    before = program_export(program)
    program.demotions, program.demotion_approval = demotions, demotion_approval
    program.require_closed_months = require_closed_months
    program.save(update_fields=list(GOVERNANCE_DEFAULTS))
    tenant = program.tenant
    if tenant.fiscal_year_start != fiscal_year_start:
        audit_record(
            tenant_id=tenant.pk,
            actor=by,
            action="tenant.fiscal_year_start",
            subject=f"Fiscal year start: month {tenant.fiscal_year_start} → {fiscal_year_start}",
        )
        tenant.fiscal_year_start = fiscal_year_start
        tenant.save(update_fields=["fiscal_year_start"])
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
