from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.http import Http404

from partnerhub.keyset import Sort
from partnerhub.tenancy.models import Membership, Role, Tenant

from .models import Partner

# Each sort ends with the reference, unique in a tenant, so keyset pages never skip or repeat.
PARTNER_SORTS: dict[str, Sort] = {
    "ref": (("ref", False),),
    "-ref": (("ref", True),),
    "name": (("name", False), ("ref", False)),
    "-name": (("name", True), ("ref", False)),
    "type": (("type", False), ("ref", False)),
    "region": (("region", False), ("ref", False)),
    "status": (("status", False), ("ref", False)),
    "joined": (("joined_on", False), ("ref", False)),
    "-joined": (("joined_on", True), ("ref", False)),
    # The highest tier over a partner's programs, from tiers.PartnerTierOrder (its own ref,
    # so that one index holds the whole order).
    "tier": (("tier_order", True), ("tier_ref", False)),
    "-tier": (("tier_order", False), ("tier_ref", False)),
}


@dataclass(frozen=True)
class PartnerFilters:
    search: str = ""
    type: str = ""
    region: str = ""
    status: str = ""
    account_manager: Membership | None = None
    tier: str = ""  # a tier id, or "none" for partners with no tier
    at_risk: bool = False
    sort: str = "ref"


def with_tracks(partners: QuerySet[Partner]) -> QuerySet[Partner]:
    """`partners`, each with `.tracks`: its placements by program name, with their program and
    tiers, read in one query for all of them."""
    from tiers.models import Placement

    tracks = Placement.objects.select_related(
        "program", "tier", "qualified_tier", "override_tier"
    ).order_by("program__name", "program_id")
    return partners.prefetch_related(Prefetch("placements", queryset=tracks, to_attr="tracks"))


def partner_matches(*, filters: PartnerFilters) -> QuerySet[Partner]:
    """The partners `filters` select, in no order: what the list counts."""
    from tiers.models import Placement

    partners = Partner.objects.all()
    if filters.search:
        partners = partners.filter(
            Q(ref__icontains=filters.search) | Q(name__icontains=filters.search)
        )
    if filters.type:
        partners = partners.filter(type=filters.type)
    if filters.region:
        partners = partners.filter(region=filters.region)
    if filters.status:
        partners = partners.filter(status=filters.status)
    if filters.account_manager is not None:
        partners = partners.filter(account_manager=filters.account_manager)
    placed = Placement.objects.filter(partner_id=OuterRef("pk"))
    if filters.tier == "none":  # no tier in any of its programs
        partners = partners.exclude(Exists(placed.filter(tier__isnull=False)))
    elif filters.tier:
        partners = partners.filter(Exists(placed.filter(tier_id=filters.tier)))
    if filters.at_risk:
        partners = partners.filter(Exists(placed.filter(at_risk_since__isnull=False)))
    return partners


def partner_list(*, filters: PartnerFilters) -> QuerySet[Partner]:
    """The partners `filters` select, in their sort, each with its tracks and manager."""
    partners = with_tracks(partner_matches(filters=filters).select_related("account_manager__user"))
    if filters.sort in ("tier", "-tier"):
        partners = _with_tier_order(partners, descending=filters.sort == "tier")
    return partners.order_by(
        *(f"-{name}" if descending else name for name, descending in partner_sort(filters))
    )


def _with_tier_order(partners: QuerySet[Partner], *, descending: bool) -> QuerySet[Partner]:
    from tiers.models import NO_TIER_LAST_ASCENDING, NO_TIER_LAST_DESCENDING

    no_tier = NO_TIER_LAST_DESCENDING if descending else NO_TIER_LAST_ASCENDING
    # The same tenant on both sides lets PostgreSQL start the sort key's index at the tenant.
    return partners.filter(tier_sort_key__tenant=F("tenant")).annotate(
        # IntegerField: a rank is positive, and Django finds nothing below 0 for a positive field.
        tier_order=Coalesce("tier_sort_key__rank", Value(no_tier), output_field=IntegerField()),
        tier_ref=F("tier_sort_key__ref"),
    )


def partner_sort(filters: PartnerFilters) -> Sort:
    return PARTNER_SORTS.get(filters.sort, PARTNER_SORTS["ref"])


def partner_types(*, tenant: Tenant) -> list[str]:
    return _each_value("type", tenant=tenant)


def partner_regions(*, tenant: Tenant) -> list[str]:
    return [region for region in _each_value("region", tenant=tenant) if region]


def _each_value(column: str, *, tenant: Tenant) -> list[str]:
    """Each value of `column` among the tenant's partners, in order. A skip scan of the index
    on (tenant, column): one probe a value, where DISTINCT reads every partner (14 ms at
    50,000 partners, on every page of the list)."""
    table = Partner._meta.db_table
    next_value = f"SELECT min({column}) FROM {table} WHERE tenant_id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found(value) AS ({next_value} UNION ALL "  # noqa: S608
            f"SELECT ({next_value} AND {column} > found.value) FROM found "
            "WHERE found.value IS NOT NULL) SELECT value FROM found WHERE value IS NOT NULL",
            [tenant.pk, tenant.pk],
        )
        return [value for (value,) in cursor.fetchall()]


def partner_managers() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(role=Role.MANAGER).select_related("user").order_by("user__email")
    )


def partner_counts_by_status() -> dict[str, int]:
    return dict(Partner.objects.values_list("status").annotate(n=Count("pk")).order_by())


def partner_for_member(*, membership: Membership, partner_id: int) -> Partner:
    """The partner `membership` may see, or 404: partner users see only their own partner."""
    if membership.is_partner_user and membership.partner_id != partner_id:
        raise Http404("No such partner.")
    partner = Partner.objects.select_related("account_manager__user").filter(pk=partner_id).first()
    if partner is None:
        raise Http404("No such partner.")
    return partner


def tier_choices():
    from tiers.models import Tier

    return Tier.objects.select_related("program").order_by("program__name", "-rank")


def partner_refs_by_case(refs) -> dict[str, str]:
    """{lower-cased ref: the partner's real ref} for refs that match one only by case."""
    lowered = {ref.lower() for ref in refs if ref}
    if not lowered:
        return {}
    found = Partner.objects.annotate(lower_ref=Lower("ref")).filter(lower_ref__in=lowered)
    return dict(found.values_list("lower_ref", "ref"))


PARTNER_CSV_COLUMNS = (
    "ref", "name", "type", "region", "status", "programs", "tier", "at_risk_since",
    "grace_ends_on", "override_until", "account_manager", "joined_on",
)  # fmt: skip


def partner_csv_rows(partners: QuerySet[Partner]):
    """The header, then one row a partner, read in chunks (a list of 50,000 streams). A
    partner in several programs has its programs split by `;`, and its tier, at-risk, grace
    and override cells split the same way, in the same order (as import_partners reads
    `programs`)."""
    from partnerhub.csvfiles import formula_safe

    def each(tracks, value) -> str:
        return ";".join(value(track) for track in tracks)

    def day(date) -> str:
        return date.isoformat() if date else ""

    yield list(PARTNER_CSV_COLUMNS)
    for partner in partners.iterator(chunk_size=2_000):
        tracks = partner.tracks
        yield [
            formula_safe(partner.ref),
            formula_safe(partner.name),
            partner.type,
            formula_safe(partner.region),
            partner.status,
            each(tracks, lambda t: t.program.key),
            each(tracks, lambda t: t.tier.key if t.tier else ""),
            each(tracks, lambda t: day(t.at_risk_since)),
            each(tracks, lambda t: day(t.grace_ends_on())),
            each(tracks, lambda t: day(t.override_until) if t.override_tier_id else ""),
            partner.account_manager.user.email if partner.account_manager else "",
            partner.joined_on.isoformat(),
        ]
