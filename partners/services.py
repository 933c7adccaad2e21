import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from partnerhub.csvfiles import FileRejected, ProblemReport, parse_csv
from partnerhub.tenancy.models import Role, Tenant
from tiers.engine import closest
from tiers.models import Placement, Program
from tiers.tracks import tracks_set

from .models import Partner, PartnerStatus

PARTNER_CSV_REQUIRED = ("ref", "name", "type")
PARTNER_CSV_OPTIONAL = ("programs", "program", "region")
EDITABLE_FIELDS = (
    "ref",
    "name",
    "type",
    "region",
    "status",
    "account_manager",
    "joined_on",
)

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _check_account_manager(*, tenant: Tenant, account_manager) -> None:
    if account_manager is None:
        return
    if account_manager.tenant_id != tenant.pk or account_manager.role != Role.MANAGER:
        raise ValidationError({"account_manager": "Choose a partner manager of this program."})


@transaction.atomic
def partner_create(*, tenant: Tenant, programs=(), by=None, **fields) -> Partner:
    """A new partner, in each of `programs` (Program objects) from today."""
    partner = Partner(tenant=tenant, **fields)
    if partner.joined_on is None:
        partner.joined_on = tenant.local_today()
    _check_account_manager(tenant=tenant, account_manager=partner.account_manager)
    partner.full_clean()
    partner.save()
    if programs:
        _programs_set(tenant, {partner.pk: {program.pk for program in programs}}, by)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, programs=None, by=None, **fields) -> Partner:
    """Change the partner's fields; with `programs`, also the programs it belongs to (joining
    and leaving are dated today and kept in its history)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(partner, name, value)
    _check_account_manager(tenant=partner.tenant, account_manager=partner.account_manager)
    partner.full_clean()
    partner.save()
    if programs is not None:
        _programs_set(partner.tenant, {partner.pk: {program.pk for program in programs}}, by)
    return partner


def _programs_set(tenant: Tenant, wanted: dict[int, set[int]], by) -> None:
    tracks_set(tenant=tenant, wanted=wanted, on=tenant.local_today(), by=by)


@transaction.atomic
def partners_assign_manager(*, tenant: Tenant, partners, account_manager) -> int:
    """Give every partner of `partners` this account manager (None: none); how many."""
    _check_account_manager(tenant=tenant, account_manager=account_manager)
    chosen = Partner.objects.filter(pk__in=partners.order_by().values("pk"))
    return chosen.update(account_manager=account_manager, updated_at=timezone.now())


@dataclass(frozen=True)
class PartnerImportResult:
    created: int
    updated: int
    unchanged: int


def _clean_partner_row(
    values: dict[str, str], *, line: int, report: ProblemReport, programs: dict
) -> dict | None:
    fields: dict[str, str] = {}
    problems_before = report.total
    ref = values["ref"]
    if not ref:
        report.add(line, "ref is missing")
    elif len(ref) > 64:
        report.add(line, "ref is longer than 64 characters")
    fields["ref"] = ref

    name = values["name"]
    if not name:
        report.add(line, "name is missing")
    elif len(name) > 200:
        report.add(line, "name is longer than 200 characters")
    fields["name"] = name

    partner_type = values["type"].lower()
    if not partner_type:
        report.add(line, "type is missing")
    elif len(partner_type) > 32 or not _KEY.match(partner_type):
        report.add(
            line,
            f"type “{values['type']}” is not a short key (lowercase letters, digits, - and _)",
        )
    fields["type"] = partner_type

    for column in ("programs", "program"):
        if column in values:
            fields["programs"] = _program_ids(
                values[column], column=column, line=line, report=report, programs=programs
            )
    if "region" in values:
        if len(values["region"]) > 100:
            report.add(line, "region is longer than 100 characters")
        fields["region"] = values["region"]
    return fields if report.total == problems_before else None


def _program_ids(
    cell: str, *, column: str, line: int, report: ProblemReport, programs: dict
) -> set[int]:
    """The ids of the `;`-separated program keys of a cell (empty: in no program)."""
    keys = [key.strip().lower() for key in cell.split(";") if key.strip()]
    if column == "program" and len(keys) > 1:
        report.add(line, "program holds one key; put several in a programs column, split by ;")
    ids = set()
    for key in keys:
        if key in programs:
            ids.add(programs[key].pk)
            continue
        guess = closest(key, programs)
        hint = (
            f"did you mean “{guess}”?"
            if guess
            else f"programs: {', '.join(sorted(programs)) or 'none yet'}"
        )
        report.add(line, f"unknown program “{key[:60]}” ({hint})")
    return ids


def partner_import_csv(*, tenant: Tenant, data: bytes) -> PartnerImportResult:
    """Upsert partners by ref from CSV `ref,name,programs,type,region`.

    `programs` holds the partner's program keys split by `;` (the older `program` column, one
    key, works too): the partner joins the programs it is not in yet and leaves those it is in
    and the cell does not name. The whole file is validated first; any problem rejects it with
    FileRejected and nothing is written. Columns left out of the file (programs, region) are
    left as they are.
    """
    report = ProblemReport()
    header, rows = parse_csv(
        data, required=PARTNER_CSV_REQUIRED, optional=PARTNER_CSV_OPTIONAL, report=report
    )
    if "program" in header and "programs" in header:
        report.add(1, "the header has both program and programs; keep one (programs takes ;)")
        raise FileRejected(report)
    with scope(tenant=tenant):
        programs = {program.key: program for program in Program.objects.all()}
    cleaned: dict[str, dict] = {}
    first_line_of_ref: dict[str, int] = {}
    for row in rows:
        fields = _clean_partner_row(row.values, line=row.line, report=report, programs=programs)
        ref = row.values["ref"]
        if ref in first_line_of_ref:
            report.add(row.line, f"ref “{ref}” already appears on line {first_line_of_ref[ref]}")
            continue
        if ref:
            first_line_of_ref[ref] = row.line
        if fields is not None:
            cleaned[ref] = fields
    if report:
        raise FileRejected(report)

    with transaction.atomic(), scope(tenant=tenant):
        existing = {partner.ref: partner for partner in Partner.objects.filter(ref__in=cleaned)}
        programs_now: dict[int, set[int]] = {partner.pk: set() for partner in existing.values()}
        for partner_id, program_id in Placement.objects.filter(
            partner_id__in=programs_now
        ).values_list("partner_id", "program_id"):
            programs_now[partner_id].add(program_id)
        to_create, to_update = [], []
        programs_wanted: dict[str, set[int]] = {}
        changed_fields: set[str] = set()
        today = tenant.local_today()
        now = timezone.now()
        for ref, fields in cleaned.items():
            if "programs" in fields:
                programs_wanted[ref] = fields.pop("programs")
            partner = existing.get(ref)
            if partner is None:
                to_create.append(
                    Partner(tenant=tenant, status=PartnerStatus.ACTIVE, joined_on=today, **fields)
                )
                continue
            changes = {name for name, value in fields.items() if getattr(partner, name) != value}
            moves = ref in programs_wanted and programs_wanted[ref] != programs_now[partner.pk]
            if changes or moves:
                for name in changes:
                    setattr(partner, name, fields[name])
                partner.updated_at = now
                changed_fields |= changes
                to_update.append(partner)
        Partner.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            Partner.objects.bulk_update(
                to_update, [*sorted(changed_fields), "updated_at"], batch_size=1000
            )
        ids = {partner.ref: partner.pk for partner in (*existing.values(), *to_create)}
        tracks_set(
            tenant=tenant,
            wanted={ids[ref]: program_ids for ref, program_ids in programs_wanted.items()},
            on=today,
        )
    return PartnerImportResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(cleaned) - len(to_create) - len(to_update),
    )
