from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from partnerhub.tenancy.models import Membership, Role

from .models import Partner

PARTNER_SORTS = {
    "ref": ("ref",),
    "-ref": ("-ref",),
    "name": ("name", "ref"),
    "-name": ("-name", "ref"),
    "type": ("type", "ref"),
    "region": ("region", "ref"),
    "status": ("status", "ref"),
    "joined": ("joined_on", "ref"),
    "-joined": ("-joined_on", "ref"),
    # highest tier first; partners with no tier last, whichever way
    "tier": (F("placement__tier__rank").desc(nulls_last=True), "ref"),
    "-tier": (F("placement__tier__rank").asc(nulls_last=True), "ref"),
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


def partner_list(*, filters: PartnerFilters) -> QuerySet[Partner]:
    partners = Partner.objects.select_related(
        "account_manager__user",
        "placement__tier",
        "placement__override_tier",
        "placement__program",
    )
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
    if filters.tier == "none":
        partners = partners.filter(Q(placement__isnull=True) | Q(placement__tier__isnull=True))
    elif filters.tier:
        partners = partners.filter(placement__tier_id=filters.tier)
    if filters.at_risk:
        partners = partners.filter(placement__at_risk_since__isnull=False)
    return partners.order_by(*PARTNER_SORTS.get(filters.sort, PARTNER_SORTS["ref"]))


def partner_types() -> list[str]:
    return list(Partner.objects.order_by("type").values_list("type", flat=True).distinct())


def partner_regions() -> list[str]:
    return list(
        Partner.objects.exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )


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
    "ref", "name", "type", "region", "status", "tier", "at_risk_since", "grace_ends_on",
    "override_until", "account_manager", "joined_on",
)  # fmt: skip


def partner_csv_rows(partners: QuerySet[Partner]):
    """The header, then one row a partner, read in chunks (a list of 50,000 streams)."""
    from partnerhub.csvfiles import formula_safe

    yield list(PARTNER_CSV_COLUMNS)
    for partner in partners.iterator(chunk_size=2_000):
        placement = getattr(partner, "placement", None)
        tier = placement.tier if placement else None
        grace_ends = placement.grace_ends_on() if placement else None
        yield [
            formula_safe(partner.ref),
            formula_safe(partner.name),
            partner.type,
            formula_safe(partner.region),
            partner.status,
            tier.key if tier else "",
            placement.at_risk_since.isoformat() if placement and placement.at_risk_since else "",
            grace_ends.isoformat() if grace_ends else "",
            placement.override_until.isoformat()
            if placement and placement.override_tier_id
            else "",
            partner.account_manager.user.email if partner.account_manager else "",
            partner.joined_on.isoformat(),
        ]
