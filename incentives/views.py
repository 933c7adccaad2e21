import csv

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from partnerhub.queue import QueueUnavailable
from partnerhub.tenancy.access import staff_only
from partners.selectors import partner_for_member

from . import services
from .exports import discount_csv_rows, statement_csv_rows
from .models import RebateAccrual
from .pdf import statement_pdf
from .quarters import Quarter
from .selectors import (
    discount_price_list,
    partner_rebate_statement,
    rebate_statement,
    rebate_totals_by_tier,
)


def rebate_statement_view(request, partner_pk: int):
    """A partner's rebates, quarter by quarter: its own users see theirs, managers any."""
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    rows = partner_rebate_statement(partner_id=partner.pk)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(
            statement_pdf(partner=partner, rows=rows, tenant=request.tenant),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="rebates-{partner.ref}-{request.tenant.local_today()}.pdf"'
        )
        return response
    return render(request, "incentives/statement.html", {"partner": partner, "rows": rows})


def _quarter_from(request, data) -> Quarter:
    """The quarter `data` (GET or POST) names, or the one that ended last."""
    try:
        return Quarter.parse(data.get("quarter", ""))
    except ValueError:
        return Quarter.of(request.tenant.local_today()).previous()


@staff_only
def rebate_summary(request):
    quarter = _quarter_from(request, request.GET)
    if request.GET.get("format") == "csv":
        return _statement_csv(request, quarter)
    context = {
        "quarter": quarter,
        "previous": quarter.previous(),
        "next": quarter.next(),
        "totals": rebate_totals_by_tier(quarter=quarter),
        "accruals": RebateAccrual.objects.filter(quarter=str(quarter)).select_related("started_by")[
            :5
        ],
        "ended": quarter.last_day < request.tenant.local_today(),
    }
    return render(request, "incentives/summary.html", context)


def _statement_csv(request, quarter: Quarter) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="rebates-{request.tenant.slug}-{quarter}.csv"'
    )
    csv.writer(response, lineterminator="\n").writerows(
        statement_csv_rows(rebate_statement(quarter=quarter))
    )
    return response


@staff_only
def discount_export(request):
    """Every partner's discount by its tier now, for the ERP's price lists."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="discounts-{request.tenant.slug}-{request.tenant.local_today()}.csv"'
    )
    csv.writer(response, lineterminator="\n").writerows(discount_csv_rows(discount_price_list()))
    return response


@staff_only
def rebate_accrue(request):
    """Admins accrue an ended quarter (again: only the differences are written)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.membership.is_admin:
        messages.error(request, "Only admins accrue rebates.")
    else:
        quarter = _quarter_from(request, request.POST)
        try:
            services.accrual_queue(tenant=request.tenant, quarter=quarter, started_by=request.user)
        except QueueUnavailable as unavailable:
            messages.error(request, str(unavailable))
        else:
            messages.success(request, f"Accrual of {quarter} started.")
    summary = reverse("rebate_summary", kwargs={"tenant_slug": request.tenant.slug})
    return redirect(f"{summary}?quarter={request.POST.get('quarter', '')}")
