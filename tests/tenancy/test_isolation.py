"""No page of one tenant shows or changes another tenant's data.

The URL list is read from the URLconf, so every tenant page added later is covered without
touching this file; a new URL parameter must be taught to OBJECT_FOR_PARAM below, or the test
fails and says so.
"""

import datetime
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from django_scopes import ScopeError, scope, scopes_disabled

from incentives.models import ClaimDocument, FundClaim, FundEntry, FundRequest
from metrics.models import Metric, MetricImport
from partnerhub.api.keys import api_key_create
from partnerhub.api.models import ApiKey
from partnerhub.tenancy.models import Invitation, Membership
from partnerhub.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners.models import Partner
from tiers.models import Notice, PendingDemotion, Placement, Program, RecalculationRun, Tier
from training.models import (
    Certification,
    CertificationAward,
    Choice,
    Course,
    Enrollment,
    Lesson,
    LessonImage,
    Question,
)

from ..conftest import TenantWorld

DENIED = {403, 404}


def _invitation(world: TenantWorld) -> Invitation:
    with scope(tenant=world.tenant):
        invitation = Invitation.objects.filter(email=f"invitee@{world.tenant.slug}.test").first()
        if invitation is None:
            invitation = Invitation.objects.create(
                tenant=world.tenant,
                email=f"invitee@{world.tenant.slug}.test",
                role="manager",
                expires_at=timezone.now() + timedelta(days=3),
            )
        return invitation


def _metric(world: TenantWorld) -> Metric:
    with scope(tenant=world.tenant):
        return Metric.objects.get_or_create(
            tenant=world.tenant, key="revenue", defaults={"name": f"{world.tenant.name} revenue"}
        )[0]


def _metric_import(world: TenantWorld) -> MetricImport:
    with scope(tenant=world.tenant):
        return MetricImport.objects.get_or_create(
            tenant=world.tenant,
            file_name=f"{world.tenant.slug}-values.csv",
            defaults={"size_bytes": 10},
        )[0]


def _course(world: TenantWorld) -> Course:
    with scope(tenant=world.tenant):
        course, created = Course.objects.get_or_create(
            tenant=world.tenant,
            key="basics",
            defaults={"title": f"{world.tenant.name} basics", "status": "published"},
        )
        if created:
            Lesson.objects.create(tenant=world.tenant, course=course, position=1, title="One")
            question = Question.objects.create(
                tenant=world.tenant, course=course, position=1, text="Q?"
            )
            Choice.objects.create(tenant=world.tenant, question=question, text="A", is_correct=True)
            Certification.objects.create(
                tenant=world.tenant, key="pro", name=f"{world.tenant.name} pro"
            )
        return course


def _course_part(world: TenantWorld, model):
    course = _course(world)
    with scope(tenant=world.tenant):
        return model.objects.filter(course=course).first()


def _certification(world: TenantWorld) -> Certification:
    _course(world)
    with scope(tenant=world.tenant):
        return Certification.objects.get()


def _program(world: TenantWorld) -> Program:
    with scope(tenant=world.tenant):
        program, created = Program.objects.get_or_create(
            tenant=world.tenant, key="resell", defaults={"name": f"{world.tenant.name} program"}
        )
        if created:
            Tier.objects.create(
                tenant=world.tenant, program=program, key="gold", name="Gold", rank=1
            )
            RecalculationRun.objects.create(
                tenant=world.tenant, program=program, as_of=datetime.date(2026, 1, 1)
            )
        return program


def _pending_demotion(world: TenantWorld) -> PendingDemotion:
    program = _program(world)
    with scope(tenant=world.tenant):
        tier = Tier.objects.get(program=program, key="gold")
        pending, _ = PendingDemotion.objects.get_or_create(
            tenant=world.tenant,
            partner=world.other_partner,
            program=program,
            defaults={
                "from_tier": tier,
                "reason": "demotion",
                "due_on": datetime.date(2026, 1, 1),
                "seen_on": datetime.date(2026, 1, 1),
            },
        )
        return pending


def _fund_request(world: TenantWorld) -> FundRequest:
    """A claimed request of `other_partner`, with one proof file."""
    with scope(tenant=world.tenant):
        found = FundRequest.objects.filter(partner=world.other_partner).first()
        if found is None:
            day = datetime.date(2026, 11, 2)
            found = FundRequest.objects.create(
                tenant=world.tenant,
                partner=world.other_partner,
                title=f"{world.tenant.name} roadshow",
                activity_type="event",
                starts_on=day,
                ends_on=day,
                amount_requested=Decimal("1000.00"),
                amount_approved=Decimal("1000.00"),
                status="claimed",
            )
            claim = FundClaim.objects.create(
                tenant=world.tenant,
                request=found,
                actual_cost=Decimal("900.00"),
                amount_claimed=Decimal("900.00"),
            )
            ClaimDocument.objects.create(
                tenant=world.tenant,
                claim=claim,
                file_name="invoice.pdf",
                stored_file=f"fund-claims/{world.tenant.pk}/missing.pdf",
                size_bytes=10,
                content_type="application/pdf",
            )
        return found


def _claim_document(world: TenantWorld) -> ClaimDocument:
    fund_request = _fund_request(world)
    with scope(tenant=world.tenant):
        return ClaimDocument.objects.get(claim__request=fund_request)


def _lesson_image(world: TenantWorld) -> LessonImage:
    """A real stored image: the view would 404 on a missing file even for its own tenant."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.services import lesson_image_store

    with scope(tenant=world.tenant):
        found = LessonImage.objects.first()
        if found is None:
            png = SimpleUploadedFile("dot.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
            found = lesson_image_store(tenant=world.tenant, upload=png, by=world.admin.user)
        return found


def _webhook_delivery(world: TenantWorld) -> WebhookDelivery:
    with scope(tenant=world.tenant):
        found = WebhookDelivery.objects.first()
        if found is None:
            endpoint = WebhookEndpoint.objects.create(
                tenant=world.tenant,
                url=f"https://hooks.{world.tenant.slug}.test/",
                events=["rebates.accrued"],
                secret="whsec_test",
            )
            event = WebhookEvent.objects.create(
                tenant=world.tenant, type="rebates.accrued", data={}
            )
            found = WebhookDelivery.objects.create(
                tenant=world.tenant, event=event, endpoint=endpoint, next_attempt_at=timezone.now()
            )
        return found


def _award(world: TenantWorld) -> CertificationAward:
    certification = _certification(world)
    with scope(tenant=world.tenant):
        return CertificationAward.objects.get_or_create(
            tenant=world.tenant,
            partner=world.other_partner,
            email=f"holder@{world.tenant.slug}.test",
            certification=certification,
            earned_on=datetime.date(2026, 1, 1),
            defaults={"source": "import"},
        )[0]


def _notice(world: TenantWorld) -> Notice:
    with scope(tenant=world.tenant):
        found = Notice.objects.filter(user=world.admin.user).first()
        return found or Notice.objects.create(
            tenant=world.tenant, user=world.admin.user, event="test", text="A notice", link="/"
        )


def _api_key(world: TenantWorld) -> ApiKey:
    with scope(tenant=world.tenant):
        found = ApiKey.objects.first()
        return found or api_key_create(tenant=world.tenant, name="CRM", scope="write").api_key


def _program_part(world: TenantWorld, model):
    program = _program(world)
    with scope(tenant=world.tenant):
        return model.objects.filter(program=program).first()


# How to find, in a tenant world, the object a URL parameter names. Partner-owned objects come
# from `other_partner`, so that the partner user of the same tenant must also be refused.
OBJECT_FOR_PARAM = {
    "partner_pk": lambda world: world.other_partner.pk,
    "membership_pk": lambda world: world.manager.pk,
    "invitation_pk": lambda world: _invitation(world).pk,
    "metric_pk": lambda world: _metric(world).pk,
    "import_pk": lambda world: _metric_import(world).pk,
    "course_pk": lambda world: _course(world).pk,
    "lesson_pk": lambda world: _course_part(world, Lesson).pk,
    "image_key": lambda world: _lesson_image(world).key,
    "question_pk": lambda world: _course_part(world, Question).pk,
    "certification_pk": lambda world: _certification(world).pk,
    "program_pk": lambda world: _program(world).pk,
    "tier_pk": lambda world: _program_part(world, Tier).pk,
    "run_pk": lambda world: _program_part(world, RecalculationRun).pk,
    "pending_pk": lambda world: _pending_demotion(world).pk,
    "request_pk": lambda world: _fund_request(world).pk,
    "document_pk": lambda world: _claim_document(world).pk,
    "step": lambda world: "approve_claim",
    "key_pk": lambda world: _api_key(world).pk,
    "notice_pk": lambda world: _notice(world).pk,
    "award_pk": lambda world: _award(world).pk,
    "endpoint_pk": lambda world: _webhook_delivery(world).endpoint_id,
    "delivery_pk": lambda world: _webhook_delivery(world).pk,
}
# Objects that belong to one partner: a partner user of the same tenant may not reach another's.
PARTNER_OWNED_PARAMS = {"partner_pk", "request_pk", "document_pk", "award_pk"}


def tenant_routes() -> list[tuple[str, str, list[str]]]:
    """(url name, %-format path, parameters) of every named URL under /o/<tenant_slug>/."""
    routes = []
    resolver = get_resolver()
    for name in resolver.reverse_dict:
        if not isinstance(name, str):
            continue
        for possibility, _pattern, _defaults, _converters in resolver.reverse_dict.getlist(name):
            for path_format, params in possibility:
                if "tenant_slug" in params:
                    routes.append((name, path_format, list(params)))
    return sorted(routes)


TENANT_ROUTES = tenant_routes()


def build_path(path_format: str, params: list[str], *, slug: str, ids_from: TenantWorld) -> str:
    values = {"tenant_slug": slug}
    for param in params:
        if param == "tenant_slug":
            continue
        if param not in OBJECT_FOR_PARAM:
            pytest.fail(f"teach OBJECT_FOR_PARAM how to find a “{param}” in a tenant")
        values[param] = OBJECT_FOR_PARAM[param](ids_from)
    return "/" + path_format % values


def snapshot(world: TenantWorld) -> dict:
    with scope(tenant=world.tenant):
        return {
            "partners": sorted(Partner.objects.values_list("pk", "ref", "name", "status")),
            "memberships": sorted(Membership.objects.values_list("pk", "role", "partner_id")),
            "invitations": sorted(Invitation.objects.values_list("pk", "email", "accepted_at")),
            "metrics": sorted(Metric.objects.values_list("pk", "key", "name")),
            "imports": sorted(MetricImport.objects.values_list("pk", "status", "file_name")),
            "courses": sorted(Course.objects.values_list("pk", "title", "status")),
            "lessons": sorted(Lesson.objects.values_list("pk", "title", "body")),
            "questions": sorted(Question.objects.values_list("pk", "text")),
            "certifications": sorted(Certification.objects.values_list("pk", "name")),
            "enrollments": sorted(Enrollment.objects.values_list("pk", "membership_id")),
            "tiers": sorted(Tier.objects.values_list("pk", "name", "rule")),
            "runs": sorted(RecalculationRun.objects.values_list("pk", "status")),
            "placements": sorted(
                Placement.objects.values_list("pk", "tier_id", "override_tier_id")
            ),
            "fund_requests": sorted(FundRequest.objects.values_list("pk", "status")),
            "fund_entries": FundEntry.objects.count(),
            "api_keys": sorted(ApiKey.objects.values_list("pk", "revoked_at")),
            "endpoints": sorted(WebhookEndpoint.objects.values_list("pk", "active")),
            "deliveries": sorted(WebhookDelivery.objects.values_list("pk", "status")),
        }


def test_the_route_list_covers_the_tenant_pages():
    names = {name for name, _, _ in TENANT_ROUTES}
    assert {"portal_home", "partner_list", "partner_detail", "partner_edit", "member_list"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "path_format", "params"), TENANT_ROUTES)
def test_a_member_of_one_tenant_gets_404_with_another_tenants_slug(
    acme, globex, method, name, path_format, params
):
    path = build_path(path_format, params, slug=globex.tenant.slug, ids_from=globex)
    before = snapshot(globex)

    response = getattr(acme.client_for(acme.admin), method)(path)

    assert response.status_code == 404, f"{method.upper()} {path} answered {response.status_code}"
    assert snapshot(globex) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "path_format", "params"),
    [route for route in TENANT_ROUTES if len(route[2]) > 1],
)
def test_another_tenants_object_ids_are_not_found_under_ones_own_slug(
    acme, globex, method, name, path_format, params
):
    path = build_path(path_format, params, slug=acme.tenant.slug, ids_from=globex)
    before = snapshot(globex)

    response = getattr(acme.client_for(acme.admin), method)(path)

    assert response.status_code in DENIED, (
        f"{method.upper()} {path} answered {response.status_code}"
    )
    assert snapshot(globex) == before
    globex_names = [p.name for p in globex.partners.values()]
    globex_names += [_metric(globex).name, _course(globex).title, _certification(globex).name]
    globex_names += [_program(globex).name]
    assert not any(n.encode() in response.content for n in globex_names)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "path_format", "params"),
    [route for route in TENANT_ROUTES if PARTNER_OWNED_PARAMS & set(route[2])],
)
def test_a_partner_user_cannot_reach_another_partners_objects(
    acme, method, name, path_format, params
):
    path = build_path(path_format, params, slug=acme.tenant.slug, ids_from=acme)
    before = snapshot(acme)

    response = getattr(acme.client_for(acme.partner_user), method)(path)

    assert response.status_code in DENIED, (
        f"{method.upper()} {path} answered {response.status_code}"
    )
    assert snapshot(acme) == before
    assert acme.other_partner.name.encode() not in response.content


@pytest.mark.parametrize(("name", "path_format", "params"), TENANT_ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(acme, name, path_format, params):
    path = build_path(path_format, params, slug=acme.tenant.slug, ids_from=acme)
    response = Client().get(path)
    assert response.status_code == 302
    assert re.match(r"^/accounts/login/\?next=", response["Location"])


def test_an_unknown_tenant_and_a_foreign_tenant_answer_alike(acme, globex):
    client = acme.client_for(acme.manager)
    foreign = client.get(f"/o/{globex.tenant.slug}/")
    unknown = client.get("/o/no-such-vendor/")
    assert foreign.status_code == unknown.status_code == 404

    def without_csrf_token(response):
        return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", response.content)

    assert without_csrf_token(foreign) == without_csrf_token(unknown)


def test_a_query_on_tenant_data_outside_a_scope_fails_loudly(acme, globex):
    with pytest.raises(ScopeError):
        list(Partner.objects.all())
    with pytest.raises(ScopeError):
        Partner.objects.filter(ref="P-001").count()


def test_inside_a_scope_only_that_tenants_rows_answer(acme, globex):
    with scope(tenant=acme.tenant):
        assert set(Partner.objects.values_list("name", flat=True)) == {
            p.name for p in acme.partners.values()
        }
        assert Partner.objects.filter(ref="P-001").get().tenant == acme.tenant
    with scopes_disabled():
        assert Partner.objects.filter(ref="P-001").count() == 2
