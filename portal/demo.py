"""A deterministic demo: two tenants whose partner refs overlap, with one login per role.

Loading it again changes nothing. Later capabilities add their data here.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django_scopes import scope

from incentives.fund_selectors import funds_available
from incentives.fund_services import (
    fund_claim_approve,
    fund_claim_file,
    fund_request_approve,
    fund_request_reject,
    fund_request_submit,
    mdf_allocate,
)
from incentives.models import FundRequest
from incentives.quarters import Quarter
from incentives.services import rebates_accrue, rebates_mark_paid
from metrics.models import Metric, MetricUnit, MetricValue
from metrics.selectors import months_before
from partnerhub.tenancy.models import Membership, Role, Tenant
from partnerhub.tenancy.services import membership_add, tenant_create
from partners.models import Partner, PartnerStatus
from tiers.models import CriteriaVersion, Program, Tier
from tiers.programs import program_load
from tiers.services import recalculation_create, recalculation_run
from tiers.tracks import tracks_set
from training.models import (
    AwardSource,
    Certification,
    CertificationAward,
    Choice,
    Course,
    CourseStatus,
    Lesson,
    Question,
)

DEMO_PASSWORD = "partnerhub-demo"  # noqa: S105 - printed for people trying the demo


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    time_zone: str
    currency: str
    domain: str
    regions: tuple[str, ...]
    types: tuple[str, ...]


DEMO_TENANTS = (
    DemoTenant(
        "acme",
        "Acme Cloud",
        "America/New_York",
        "USD",
        "acme.example",
        ("North America", "LATAM", "EMEA"),
        ("reseller", "msp", "referral"),
    ),
    DemoTenant(
        "globex",
        "Globex Security",
        "Europe/Berlin",
        "EUR",
        "globex.example",
        ("DACH", "Nordics", "Benelux", "UK & Ireland"),
        ("reseller", "distributor", "msp"),
    ),
)

NAME_PARTS = (
    (
        "Blue",
        "Cedar",
        "Summit",
        "Harbor",
        "Granite",
        "Northern",
        "Bright",
        "Silver",
        "Iron",
        "Open",
    ),
    ("Ridge", "Peak", "Bridge", "Field", "Stone", "Wave", "Gate", "Path", "Point", "Line"),
    ("Solutions", "Systems", "IT", "Networks", "Consulting", "Partners", "Technologies", "Group"),
)
PARTNERS_PER_TENANT = 40
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DemoLogin:
    tenant: str
    role: str
    email: str


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=spec.slug).first() or tenant_create(
            slug=spec.slug, name=spec.name, time_zone=spec.time_zone, currency=spec.currency
        )
        with scope(tenant=tenant):
            logins += _demo_tenant(tenant, spec)
    consultant = "consultant@partnerhub.example"
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=spec.slug)
        membership_add(tenant=tenant, email=consultant, role=Role.MANAGER, password=DEMO_PASSWORD)
    logins.append(DemoLogin("acme + globex", Role.MANAGER, consultant))
    return logins


def _demo_tenant(tenant: Tenant, spec: DemoTenant) -> list[DemoLogin]:
    rng = random.Random(spec.slug)  # noqa: S311 - demo data, not security
    admin = membership_add(
        tenant=tenant,
        email=f"admin@{spec.domain}",
        role=Role.ADMIN,
        password=DEMO_PASSWORD,
        full_name="Ada Admin",
    ).membership
    manager = membership_add(
        tenant=tenant,
        email=f"manager@{spec.domain}",
        role=Role.MANAGER,
        password=DEMO_PASSWORD,
        full_name="Max Manager",
    ).membership
    if not Partner.objects.exists():
        first_day = date(2021, 1, 4)
        Partner.objects.bulk_create(
            Partner(
                tenant=tenant,
                ref=f"P-{number:04d}",
                name=" ".join(rng.choice(part) for part in NAME_PARTS),
                type=rng.choice(spec.types),
                region=rng.choice(spec.regions),
                status=PartnerStatus.SUSPENDED if number % 13 == 0 else PartnerStatus.ACTIVE,
                account_manager=manager if number % 3 else None,
                joined_on=first_day + timedelta(days=rng.randrange(0, 1800)),
            )
            for number in range(1, PARTNERS_PER_TENANT + 1)
        )
    _demo_metrics(tenant, rng)
    _demo_program(tenant)
    _demo_training(tenant, rng)
    _demo_placements(tenant)
    _demo_rebates(tenant)
    first_partner = Partner.objects.get(ref="P-0001")
    partner_user = membership_add(
        tenant=tenant,
        email=f"partner@{spec.domain}",
        role=Role.PARTNER,
        partner=first_partner,
        password=DEMO_PASSWORD,
        full_name="Pat Partner",
    ).membership
    _demo_funds(tenant, spec, manager)
    logins = [
        DemoLogin(spec.slug, Role.ADMIN, admin.user.email),
        DemoLogin(spec.slug, Role.MANAGER, manager.user.email),
        DemoLogin(spec.slug, f"partner ({first_partner.ref})", partner_user.user.email),
    ]
    funded = (
        Membership.objects.filter(role=Role.PARTNER, user__email__contains="@partners.")
        .select_related("partner", "user")
        .order_by("partner__ref")
        .first()
    )
    if funded is not None and funded.partner is not None:
        logins.append(
            DemoLogin(spec.slug, f"partner with funds ({funded.partner.ref})", funded.user.email)
        )
    return logins


DEMO_METRICS = (
    ("revenue", "Revenue", MetricUnit.CURRENCY, "revenue booked in the month", "total"),
    ("deals", "Deals won", MetricUnit.COUNT, "deals closed and won in the month", "total"),
    ("csat", "Customer satisfaction", MetricUnit.SCORE, "average survey score (1-5)", "average"),
    ("pipeline", "Open pipeline", MetricUnit.CURRENCY, "open pipeline at month end", "latest"),
)
DEMO_MONTHS = 18  # 2025-05 to 2026-10, so 12-month windows have data


def _demo_metrics(tenant: Tenant, rng: random.Random) -> None:
    if Metric.objects.exists():
        return
    metrics = [
        Metric.objects.create(
            tenant=tenant, key=key, name=name, unit=unit, month_reading=reading, rollup=rollup
        )
        for key, name, unit, reading, rollup in DEMO_METRICS
    ]
    months = months_before(date(2026, 11, 1), DEMO_MONTHS)
    values = []
    for partner in Partner.objects.order_by("ref"):
        size = rng.choice((Decimal("0.3"), 1, 1, 2, 5))
        for month in months:
            if rng.random() < 0.08:
                continue  # a month the partner did not report
            values += [
                MetricValue(
                    tenant=tenant,
                    partner=partner,
                    metric=metrics[0],
                    period=month,
                    value=Decimal(rng.randrange(5_000, 60_000) * size).quantize(CENT),
                ),
                MetricValue(
                    tenant=tenant,
                    partner=partner,
                    metric=metrics[1],
                    period=month,
                    value=Decimal(rng.randrange(0, round(6 * size) + 1)),
                ),
                MetricValue(
                    tenant=tenant,
                    partner=partner,
                    metric=metrics[2],
                    period=month,
                    value=Decimal(rng.randrange(300, 500)) / 100,
                ),
                MetricValue(
                    tenant=tenant,
                    partner=partner,
                    metric=metrics[3],
                    period=month,
                    value=Decimal(rng.randrange(20_000, 200_000) * size).quantize(CENT),
                ),
            ]
    MetricValue.objects.bulk_create(values, batch_size=2_000)


DEMO_PROGRAM = {
    "key": "partner-program",
    "name": "Partner Program",
    "grace_days": 30,
    "certifications": [
        {"key": "sales-pro", "name": "Sales Professional"},
        {"key": "architect", "name": "Certified Architect"},
    ],
    "tiers": [
        {
            "key": "registered",
            "name": "Registered",
            "rank": 0,
            "rule": None,
            "benefits": [
                {"title": "Partner portal and sales playbooks", "kind": "other"},
                {"title": "Standard discount", "kind": "discount", "value": "5 %"},
            ],
        },
        {
            "key": "silver",
            "name": "Silver",
            "rank": 1,
            "rule": {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 300000},
            "rebates": [{"metric": "revenue", "rate": "2"}],
            "benefits": [
                {"title": "Partner discount", "kind": "discount", "value": "12 %"},
                {"title": "Deal registration", "kind": "other"},
                {"title": "Quarterly rebate", "kind": "rebate", "value": "2 % of revenue"},
            ],
        },
        {
            "key": "gold",
            "name": "Gold",
            "rank": 2,
            # Satisfied customers and a certified seller, or enough points to make up for one
            # of them: deals this fiscal year, growth, satisfaction, certified people.
            "rule": {
                "all": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 600000},
                    {
                        "any": [
                            {
                                "all": [
                                    {
                                        "metric": "csat",
                                        "agg": "avg",
                                        "window": 6,
                                        "op": ">=",
                                        "value": "4.0",
                                    },
                                    {"certification": "sales-pro", "min": 1},
                                ]
                            },
                            {
                                "points": [
                                    {
                                        "metric": "deals",
                                        "agg": "sum",
                                        "window": "fytd",
                                        "per": 5,
                                        "add": 10,
                                        "max": 40,
                                    },
                                    {
                                        "metric": "revenue",
                                        "agg": "growth",
                                        "window": 6,
                                        "per": 10,
                                        "add": 10,
                                        "max": 30,
                                    },
                                    {
                                        "when": {
                                            "metric": "csat",
                                            "agg": "avg",
                                            "window": 6,
                                            "op": ">=",
                                            "value": "4.5",
                                        },
                                        "add": 20,
                                    },
                                    {
                                        "when": {
                                            "certification": ["sales-pro", "architect"],
                                            "min": 1,
                                        },
                                        "add": 20,
                                    },
                                ],
                                "op": ">=",
                                "value": 60,
                            },
                        ]
                    },
                ]
            },
            "rebates": [{"metric": "revenue", "rate": "3", "cap": "15000"}],
            "mdf": {"quarterly": "2500"},
            "benefits": [
                {"title": "Partner discount", "kind": "discount", "value": "18 %"},
                {"title": "Quarterly rebate", "kind": "rebate", "value": "3 % of revenue"},
                {"title": "Market development funds", "kind": "mdf", "value": "2,500 a quarter"},
                {"title": "Solution architecture masterclass", "kind": "training"},
            ],
        },
        {
            "key": "platinum",
            "name": "Platinum",
            "rank": 3,
            "rule": {
                "all": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 1500000},
                    {"metric": "deals", "agg": "sum", "window": 12, "op": ">=", "value": 40},
                    {"certification": "sales-pro", "min": 2},
                    {"certification": "architect", "min": 1},
                ]
            },
            "rebates": [{"metric": "revenue", "rate": "4", "cap": "40000"}],
            "mdf": {"quarterly": "10000"},
            "benefits": [
                {"title": "Partner discount", "kind": "discount", "value": "25 %"},
                {"title": "Quarterly rebate", "kind": "rebate", "value": "4 % of revenue"},
                {"title": "Market development funds", "kind": "mdf", "value": "10,000 a quarter"},
                {"title": "Priority support with a named engineer", "kind": "support"},
                {"title": "Early access to the roadmap", "kind": "early_access"},
            ],
        },
    ],
}
# A second track: managed-services partners (and the demo partner users' own partners) are
# also in a services specialisation, which places them on its own.
DEMO_SERVICES = {
    "key": "services",
    "name": "Managed Services Specialisation",
    "grace_days": 60,
    "demotions": "quarterly",
    "certifications": [
        {"key": "sales-pro", "name": "Sales Professional"},
        {"key": "architect", "name": "Certified Architect"},
    ],
    "tiers": [
        {
            "key": "authorised",
            "name": "Authorised",
            "rank": 0,
            "rule": None,
            "benefits": [{"title": "Listed as a services partner in the locator", "kind": "other"}],
        },
        {
            "key": "specialist",
            "name": "Specialist",
            "rank": 1,
            "rule": {
                "all": [
                    {"certification": ["architect", "sales-pro"], "min": 1},
                    {"metric": "deals", "agg": "sum", "window": 12, "op": ">=", "value": 10},
                ]
            },
            "benefits": [
                {"title": "Services discount", "kind": "discount", "value": "15 %"},
                {"title": "Co-delivery with our professional services", "kind": "support"},
            ],
        },
        {
            "key": "expert",
            "name": "Expert",
            "rank": 2,
            # Points: deals this fiscal year, satisfied customers, certified architects.
            "rule": {
                "points": [
                    {
                        "metric": "deals",
                        "agg": "sum",
                        "window": "fytd",
                        "per": 5,
                        "add": 10,
                        "max": 50,
                    },
                    {
                        "when": {
                            "metric": "csat",
                            "agg": "avg",
                            "window": 6,
                            "op": ">=",
                            "value": "4.0",
                        },
                        "add": 30,
                    },
                    {"when": {"certification": "architect", "min": 1}, "add": 30},
                ],
                "op": ">=",
                "value": 80,
            },
            "mdf": {"quarterly": "4000"},
            "benefits": [
                {"title": "Services discount", "kind": "discount", "value": "22 %"},
                {"title": "Market development funds", "kind": "mdf", "value": "4,000 a quarter"},
                {"title": "Named services architect", "kind": "support"},
            ],
        },
    ],
}
DEMO_SERVICES_PARTNERS = ("P-0001", "P-0003")  # besides every msp: the demo partner logins'
DEMO_EVALUATED_ON = date(2026, 11, 1)
# The demo program has been in force since December 2025 and evaluated at each quarter's
# start, so its partners have a tier history and three quarters of rebates.
DEMO_PROGRAM_SINCE = datetime(2025, 12, 1, tzinfo=UTC)
DEMO_EVALUATIONS = (date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1))
DEMO_ACCRUED, DEMO_PAID = ("2026-Q1", "2026-Q2", "2026-Q3"), ("2026-Q1", "2026-Q2")
DEMO_ALLOCATED = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def _demo_program(tenant: Tenant) -> None:
    if Program.objects.exists():
        return
    program, _, _ = program_load(tenant=tenant, data=DEMO_PROGRAM)
    services, _, _ = program_load(tenant=tenant, data=DEMO_SERVICES)
    CriteriaVersion.objects.update(created_at=DEMO_PROGRAM_SINCE)
    services_ids = set(
        Partner.objects.filter(Q(type="msp") | Q(ref__in=DEMO_SERVICES_PARTNERS)).values_list(
            "pk", flat=True
        )
    )
    tracks_set(
        tenant=tenant,
        wanted={
            partner_id: {program.pk, services.pk} if partner_id in services_ids else {program.pk}
            for partner_id in Partner.objects.values_list("pk", flat=True)
        },
        on=DEMO_PROGRAM_SINCE.date(),
    )


def _demo_placements(tenant: Tenant) -> None:
    for program in Program.objects.filter(last_evaluated_on__isnull=True):
        for as_of in (*DEMO_EVALUATIONS, DEMO_EVALUATED_ON):
            run = recalculation_create(program=program, as_of=as_of)
            recalculation_run(run=run, notify=False)


def _demo_rebates(tenant: Tenant) -> None:
    """Accrue the demo's ended quarters and pay the older ones (again: nothing new)."""
    for quarter in DEMO_ACCRUED:
        rebates_accrue(tenant=tenant, quarter=Quarter.parse(quarter))
    for quarter in DEMO_PAID:
        rebates_mark_paid(tenant=tenant, quarter=Quarter.parse(quarter))
    for quarter in DEMO_ALLOCATED:
        mdf_allocate(tenant=tenant, quarter=Quarter.parse(quarter))


# (title, type, requested, approved, actual cost, how far it went) for the funded partners in
# turn: the partner user's own partner first when its tier has funds.
DEMO_FUND_REQUESTS = (
    ("Spring webinar series", "webinar", "1500.00", "1500.00", "1420.00", "paid"),
    ("Regional roadshow", "event", "1200.00", "1000.00", None, "approved"),
    ("Trade show booth", "trade_show", "2000.00", None, None, "submitted"),
    ("Customer success stories", "content", "900.00", "900.00", "900.00", "claimed"),
    ("Search campaign", "digital_campaign", "800.00", None, None, "rejected"),
)


def _demo_funds(tenant: Tenant, spec: DemoTenant, manager) -> None:
    """Requests at every stage, so the queue, My funds and the report have something to show
    (again: nothing new). Dated today: a request is made before its activity is over."""
    if FundRequest.objects.exists():
        return
    today = tenant.local_today()
    available = funds_available(
        partner_ids=set(Partner.objects.values_list("pk", flat=True)), today=today
    )
    funded = sorted(
        Partner.objects.filter(pk__in=[pk for pk, amount in available.items() if amount >= 2000]),
        key=lambda partner: (partner.ref != "P-0001", partner.ref),
    )
    for partner, (title, kind, requested, approved, cost, stage) in zip(
        funded, DEMO_FUND_REQUESTS, strict=False
    ):
        user = Membership.objects.filter(partner=partner, role=Role.PARTNER).first()
        user = (
            user
            or membership_add(
                tenant=tenant,
                email=f"{partner.ref.lower()}@partners.{spec.domain}",
                role=Role.PARTNER,
                partner=partner,
                password=DEMO_PASSWORD,
            ).membership
        )
        fund_request = fund_request_submit(
            membership=user,
            title=title,
            activity_type=kind,
            starts_on=today,
            ends_on=today,
            amount=Decimal(requested),
            description=f"{title} for {partner.name}'s customers.",
        )
        if stage == "rejected":
            fund_request_reject(
                fund_request=fund_request,
                membership=manager,
                reason="Search ads are not co-funded.",
            )
            continue
        if stage == "submitted":
            continue
        note = "" if approved == requested else "One city fewer than planned."
        fund_request_approve(
            fund_request=fund_request, membership=manager, amount=Decimal(approved), note=note
        )
        if stage == "approved":
            continue
        invoice = ContentFile(b"%PDF-1.4\n% demo invoice\n", name="invoice.pdf")
        fund_claim_file(
            fund_request=fund_request, membership=user, actual_cost=Decimal(cost), files=[invoice]
        )
        if stage == "paid":
            fund_claim_approve(fund_request=fund_request, membership=manager, amount=Decimal(cost))


DEMO_COURSES = (
    (
        "portfolio",
        "Product portfolio essentials",
        None,
        ("What we sell", "Who buys it", "How we price it"),
    ),
    ("selling", "Consultative selling", None, ("Discovery calls", "Building the business case")),
    (
        "architect",
        "Solution architecture masterclass",
        "gold",
        ("Reference designs", "Sizing and scaling"),
    ),
)


def _demo_training(tenant: Tenant, rng: random.Random) -> None:
    if Course.objects.exists():
        return
    tiers = {tier.key: tier for tier in Tier.objects.filter(program__key=DEMO_PROGRAM["key"])}
    courses = []
    for key, title, tier_key, lessons in DEMO_COURSES:
        course = Course.objects.create(
            tenant=tenant,
            key=key,
            title=title,
            status=CourseStatus.PUBLISHED,
            summary=f"{title}: what a partner's team needs to know.",
            estimated_minutes=25,
            minimum_tier=tiers.get(tier_key),
            pass_mark=70,
        )
        for position, lesson_title in enumerate(lessons, start=1):
            Lesson.objects.create(
                tenant=tenant,
                course=course,
                position=position,
                title=lesson_title,
                body=f"<h2>{lesson_title}</h2><p>The essentials of {lesson_title.lower()}, "
                "with examples from real partner deals.</p><ul><li>Key idea one</li>"
                "<li>Key idea two</li></ul>",
            )
        question = Question.objects.create(
            tenant=tenant, course=course, position=1, text=f"What is {title.lower()} about?"
        )
        Choice.objects.bulk_create(
            [
                Choice(
                    tenant=tenant,
                    question=question,
                    text="Helping customers succeed",
                    is_correct=True,
                ),
                Choice(tenant=tenant, question=question, text="Nothing in particular"),
            ]
        )
        courses.append(course)
    sales_pro = Certification.objects.get(key="sales-pro")
    architect = Certification.objects.get(key="architect")
    Certification.objects.filter(pk=sales_pro.pk).update(validity_months=24)
    Certification.objects.filter(pk=architect.pk).update(validity_months=12)
    sales_pro.courses.set(courses[:2])
    architect.courses.set(courses[2:])
    for partner in Partner.objects.order_by("ref"):
        for person in range(rng.randrange(0, 4)):
            earned = date(2024, 6, 1) + timedelta(days=rng.randrange(0, 800))
            CertificationAward.objects.create(
                tenant=tenant,
                partner=partner,
                email=f"seller{person}@{partner.ref.lower()}.example",
                certification=rng.choice((sales_pro, sales_pro, architect)),
                earned_on=earned,
                expires_on=earned + timedelta(days=rng.choice((365, 730))),
                source=AwardSource.IMPORT,
            )
