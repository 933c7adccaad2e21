"""The pages of market development funds: a partner's funds and its request flow, the
managers' queue, one request, proof downloads, the admins' report; and who may see what."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from incentives.fund_services import fund_request_approve
from incentives.models import ClaimDocument, FundRequest
from partnerhub.tenancy.models import Role

from ..factories import MembershipFactory, UserFactory
from .conftest import TODAY, claim, step, submit

M = Decimal


def url(world, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": world.tenant.slug, **kwargs})


def test_a_partner_requests_funds_from_my_funds_and_sees_the_reservation(funded):
    client = funded.client_for(funded.partner_user)
    page = client.get(url(funded, "partner_funds", partner_pk=funded.partner.pk)).content.decode()
    assert "My funds" in page and "€20,000.00" in page
    form = {
        "title": "Spring roadshow",
        "activity_type": "trade_show",
        "starts_on": TODAY.isoformat(),
        "ends_on": TODAY.isoformat(),
        "amount": "2500.00",
        "description": "",
    }
    response = client.post(url(funded, "fund_request_new", partner_pk=funded.partner.pk), form)
    with scope(tenant=funded.tenant):
        fund_request = FundRequest.objects.get()
    assert response.url == url(funded, "fund_request_detail", request_pk=fund_request.pk)
    page = client.get(url(funded, "partner_funds", partner_pk=funded.partner.pk)).content.decode()
    assert "€17,500.00" in page and "Spring roadshow" in page and "Awaiting approval" in page


def test_a_request_over_the_balance_is_shown_on_the_form_with_the_figures(funded):
    client = funded.client_for(funded.partner_user)
    form = {
        "title": "Gala",
        "activity_type": "event",
        "starts_on": TODAY.isoformat(),
        "ends_on": TODAY.isoformat(),
        "amount": "20000.01",
    }
    response = client.post(url(funded, "fund_request_new", partner_pk=funded.partner.pk), form)
    assert response.status_code == 200
    assert "€20,000.01 is more than the €20,000.00 available." in response.content.decode()


def test_the_queue_shows_tier_balance_and_history_in_a_fixed_number_of_queries(
    funded, django_assert_max_num_queries
):
    for n in range(3):
        submit(funded, "1000.00", title=f"Campaign {n}")
    manager = funded.client_for(funded.manager)
    with django_assert_max_num_queries(16):
        page = manager.get(url(funded, "fund_queue")).content.decode()
    for n in range(3):
        submit(funded, "1000.00", title=f"More {n}")
    with django_assert_max_num_queries(16):
        page = manager.get(url(funded, "fund_queue")).content.decode()
    assert page.count("Campaign ") == 3 and page.count("More ") == 3
    assert "€14,000.00" in page, "the partner's available balance"
    assert "5 earlier, €0.00 paid" in page


def test_a_manager_decides_on_the_request_page_and_the_partner_cannot(funded):
    fund_request = submit(funded, "3000.00")
    decide = url(funded, "fund_request_step", request_pk=fund_request.pk, step="approve")
    partner = funded.client_for(funded.partner_user)
    response = partner.post(decide, {"amount": "3000.00"}, follow=True)
    assert "Only the program&#x27;s managers and admins decide" in response.content.decode()
    manager = funded.client_for(funded.manager)
    page = manager.get(url(funded, "fund_request_detail", request_pk=fund_request.pk))
    assert "Tier now" in page.content.decode() and "Gold" in page.content.decode()
    manager.post(decide, {"amount": "2500.00", "note": "No printed material."})
    fund_request.refresh_from_db()
    assert (fund_request.status, fund_request.amount_approved) == ("approved", M("2500.00"))
    response = manager.post(decide, {"amount": "2500.00"}, follow=True)
    assert "This request is approved: it cannot be approved" in response.content.decode()


def test_a_partner_files_a_claim_with_proof_on_the_claim_page(funded):
    fund_request = submit(funded, "3000.00")
    step(funded, fund_request_approve, fund_request, amount=M("3000.00"))
    partner = funded.client_for(funded.partner_user)
    invoice = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", "application/pdf")
    photo = SimpleUploadedFile("booth.png", b"\x89PNG booth", "image/png")
    response = partner.post(
        url(funded, "fund_claim_new", request_pk=fund_request.pk),
        {"actual_cost": "2800.00", "documents": [invoice, photo], "note": ""},
    )
    assert response.status_code == 302
    fund_request.refresh_from_db()
    assert fund_request.status == "claimed"
    page = partner.get(url(funded, "fund_request_detail", request_pk=fund_request.pk))
    assert "invoice.pdf" in page.content.decode() and "booth.png" in page.content.decode()


@pytest.fixture
def claimed(funded):
    fund_request = submit(funded, "3000.00")
    step(funded, fund_request_approve, fund_request, amount=M("3000.00"))
    claim(funded, fund_request, "2800.00")
    with scope(tenant=funded.tenant):
        document = ClaimDocument.objects.get(file_name="invoice.pdf")
    return fund_request, document


def test_proof_is_downloaded_by_the_partner_and_the_staff_only(funded, globex, claimed):
    fund_request, document = claimed
    download = url(funded, "claim_document", document_pk=document.pk)
    for membership in (funded.partner_user, funded.manager, funded.admin):
        response = funded.client_for(membership).get(download)
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    with scope(tenant=funded.tenant):
        other = MembershipFactory(
            tenant=funded.tenant,
            role=Role.PARTNER,
            partner=funded.other_partner,
            user=UserFactory(email="other@acme.test"),
        )
    other_client = funded.client_for(other)
    assert other_client.get(download).status_code == 404
    detail = url(funded, "fund_request_detail", request_pk=fund_request.pk)
    assert other_client.get(detail).status_code == 404
    funds_page = url(funded, "partner_funds", partner_pk=funded.partner.pk)
    assert other_client.get(funds_page).status_code == 404
    # Globex's manager, asking through Globex, finds nothing of Acme's
    stranger = globex.client_for(globex.manager)
    for name, kwargs in (
        ("claim_document", {"document_pk": document.pk}),
        ("fund_request_detail", {"request_pk": fund_request.pk}),
    ):
        assert stranger.get(url(globex, name, **kwargs)).status_code == 404
    step_url = url(globex, "fund_request_step", request_pk=fund_request.pk, step="approve_claim")
    assert stranger.post(step_url, {"amount": "1.00"}).status_code == 404
    fund_request.refresh_from_db()
    assert fund_request.status == "claimed"


def test_the_report_exports_each_quarter_and_tier_as_csv(funded, claimed):
    fund_request, _ = claimed
    manager = funded.client_for(funded.manager)
    manager.post(
        url(funded, "fund_request_step", request_pk=fund_request.pk, step="approve_claim"),
        {"amount": "2800.00", "note": ""},
    )
    response = manager.get(url(funded, "fund_report") + "?format=csv")
    assert response.content.decode().splitlines() == [
        "quarter,tier,allocated,requested,approved,claimed,paid,expired",
        "2026-Q4,Gold,10000.00,0.00,0.00,0.00,0.00,0.00",
        "2026-Q3,Gold,10000.00,3000.00,2800.00,2800.00,2800.00,0.00",
    ]


def test_only_admins_allocate_from_the_report(funded):
    assert funded.client_for(funded.manager).post(url(funded, "fund_allocate")).status_code == 403
    response = funded.client_for(funded.admin).post(url(funded, "fund_allocate"), follow=True)
    assert (
        "2026-Q4: 0 new allocations; 0 expired balances written off." in response.content.decode()
    )
