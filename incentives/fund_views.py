"""Market development funds in the browser: a partner's funds and requests, one request with
its claims and ledger, the managers' queue, and the admins' report."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from partnerhub.queue import QueueUnavailable
from partnerhub.tenancy.access import admin_only, object_or_404, staff_only
from partners.selectors import partner_for_member

from . import fund_services as services
from .forms import ApproveForm, ClaimForm, FundRequestForm, ReasonForm
from .fund_flow import Side, Step, StepRefused, steps_open
from .fund_selectors import (
    REPORT_COLUMNS,
    fund_queue,
    fund_report,
    fund_request_for_member,
    mdf_funds,
    partner_fund_requests,
    request_entries,
)
from .models import ClaimDocument
from .quarters import Quarter
from .selectors import tiers_held_now


def partner_funds(request, partner_pk: int):
    """A partner's market development funds: balance by quarter, requests and claims."""
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    context = {
        "partner": partner,
        "funds": mdf_funds(partner_id=partner.pk, today=request.tenant.local_today()),
        "requests": partner_fund_requests(partner_id=partner.pk),
    }
    return render(request, "incentives/funds.html", context)


@require_http_methods(["GET", "POST"])
def fund_request_new(request, partner_pk: int):
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    if not request.membership.is_partner_user:
        raise PermissionDenied("Funds are requested by the partner's own users.")
    funds = mdf_funds(partner_id=partner.pk, today=request.tenant.local_today())
    form = FundRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fund_request = services.fund_request_submit(
                membership=request.membership, **form.cleaned_data
            )
        except StepRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                f"Requested: the amount is reserved until “{fund_request.title}” is decided.",
            )
            return redirect(_detail_url(request, fund_request.pk))
    return render(
        request,
        "incentives/fund_request_form.html",
        {"partner": partner, "form": form, "funds": funds},
    )


def fund_request_detail(request, request_pk: int):
    fund_request = fund_request_for_member(membership=request.membership, request_id=request_pk)
    side = Side.VENDOR if request.membership.works_with_partners else Side.PARTNER
    steps = set(steps_open(fund_request.status, side))
    claim = fund_request.current_claim
    context = {
        "fund_request": fund_request,
        "entries": request_entries(fund_request=fund_request),
        "steps": {step.value for step in steps},
        "approve_form": ApproveForm(initial={"amount": fund_request.amount_requested}),
        "pay_form": ApproveForm(initial={"amount": claim.amount_claimed if claim else None}),
        "reason_form": ReasonForm(),
    }
    if side == Side.VENDOR:
        context |= {
            "tiers": tiers_held_now([fund_request.partner_id]).get(fund_request.partner_id, []),
            "funds": mdf_funds(
                partner_id=fund_request.partner_id, today=request.tenant.local_today()
            ),
            "earlier": [
                other
                for other in partner_fund_requests(partner_id=fund_request.partner_id)
                if other.pk != fund_request.pk
            ],
        }
    return render(request, "incentives/fund_request_detail.html", context)


STEP_FORMS = {
    Step.APPROVE: ApproveForm,
    Step.REJECT: ReasonForm,
    Step.APPROVE_CLAIM: ApproveForm,
    Step.SEND_BACK_CLAIM: ReasonForm,
}


def fund_request_step(request, request_pk: int, step: str):
    """Approve, reject, withdraw, pay or send back a claim: one POST, one step."""
    fund_request = fund_request_for_member(membership=request.membership, request_id=request_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        step = Step(step)
    except ValueError:
        raise Http404("No such step.") from None
    if step == Step.FILE_CLAIM:
        raise Http404("Claims are filed with their proof.")
    form = STEP_FORMS[step](request.POST) if step in STEP_FORMS else None
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect(_detail_url(request, fund_request.pk))
    data = form.cleaned_data if form is not None else {}
    try:
        services.fund_request_take_step(
            fund_request=fund_request,
            membership=request.membership,
            step=step,
            amount=data.get("amount"),
            note=data.get("note") or data.get("reason", ""),
        )
    except StepRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"“{fund_request.title}”: {fund_request.get_status_display()}.")
    return redirect(_detail_url(request, fund_request.pk))


@require_http_methods(["GET", "POST"])
def fund_claim_new(request, request_pk: int):
    fund_request = fund_request_for_member(membership=request.membership, request_id=request_pk)
    if Step.FILE_CLAIM not in steps_open(fund_request.status, Side.PARTNER) or (
        request.membership.partner_id != fund_request.partner_id
    ):
        messages.error(request, f"This request is {fund_request.get_status_display().lower()}.")
        return redirect(_detail_url(request, fund_request.pk))
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.fund_claim_file(
                fund_request=fund_request,
                membership=request.membership,
                actual_cost=form.cleaned_data["actual_cost"],
                files=form.cleaned_data["documents"],
                note=form.cleaned_data["note"],
            )
        except StepRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Claim filed: your manager has been told.")
            return redirect(_detail_url(request, fund_request.pk))
    return render(
        request, "incentives/fund_claim_form.html", {"fund_request": fund_request, "form": form}
    )


def claim_document(request, document_pk: int):
    """A proof file, to the partner's own users and the program's staff only."""
    document = object_or_404(ClaimDocument.objects.select_related("claim__request"), document_pk)
    fund_request_for_member(
        membership=request.membership, request_id=document.claim.request_id
    )  # 404 for a partner user of another partner
    if not default_storage.exists(document.stored_file):
        raise Http404("The file is no longer stored.")
    return FileResponse(
        default_storage.open(document.stored_file, "rb"),
        as_attachment=True,
        filename=document.file_name,
    )


@staff_only
def fund_queue_view(request):
    items = fund_queue(today=request.tenant.local_today())
    return render(request, "incentives/fund_queue.html", {"items": items})


@staff_only
def fund_report_view(request):
    rows = fund_report()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="mdf-{request.tenant.slug}-{request.tenant.local_today()}.csv"'
        )
        writer = csv.writer(response, lineterminator="\n")
        writer.writerow(["quarter", "tier", *REPORT_COLUMNS])
        for row in rows:
            writer.writerow(
                [row.quarter, row.tier, *(f"{getattr(row, c):.2f}" for c in REPORT_COLUMNS)]
            )
        return response
    quarter = Quarter.of(request.tenant.local_today())
    return render(
        request,
        "incentives/fund_report.html",
        {"rows": rows, "columns": REPORT_COLUMNS, "quarter": quarter},
    )


@admin_only
@require_POST
def fund_allocate(request):
    """Allocate this quarter's funds (again: nothing new) and write off what expired."""
    quarter = Quarter.of(request.tenant.local_today())
    try:
        result = services.mdf_allocate(tenant=request.tenant, quarter=quarter, by=request.user)
    except (services.AllocationRefused, QueueUnavailable) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            f"{quarter}: {result.allocated} new allocations; {result.expired} expired balances "
            "written off.",
        )
    return redirect("fund_report", tenant_slug=request.tenant.slug)


def _detail_url(request, request_pk: int) -> str:
    return reverse(
        "fund_request_detail", kwargs={"tenant_slug": request.tenant.slug, "request_pk": request_pk}
    )
