import csv
import io

import openpyxl
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from partnerhub.keyset import KeysetCursorError, keyset_page
from partnerhub.tenancy.access import staff_only

from . import services
from .forms import PartnerBulkForm, PartnerFilterForm, PartnerForm
from .selectors import (
    PartnerFilters,
    partner_csv_rows,
    partner_for_member,
    partner_list,
    partner_managers,
    partner_matches,
    partner_sort,
)

PAGE_SIZE = 25


@staff_only
def partner_index(request):
    filter_form = PartnerFilterForm(request.GET or None, tenant=request.tenant)
    filter_form.is_valid()
    filters = filter_form.filters()
    if request.GET.get("format") == "csv":
        return _partners_csv(request, partner_list(filters=filters))
    if request.GET.get("format") == "xlsx":
        return _partners_xlsx(request, partner_list(filters=filters))
    partners = partner_list(filters=filters)
    counted = partner_matches(filters=filters)
    cursor_problem = None
    try:
        page = keyset_page(
            partners,
            partner_sort(filters),
            size=PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            counted=counted,
        )
    except KeysetCursorError as error:
        cursor_problem = f"{str(error).capitalize()}; here is the first page."
        page = keyset_page(
            partners,
            partner_sort(filters),
            size=PAGE_SIZE,
            counted=counted,
        )
    export = request.GET.copy()
    for name in ("after", "before"):
        export.pop(name, None)
    export["format"] = "csv"
    export_xlsx = export.copy()
    export_xlsx["format"] = "xlsx"
    context = {
        "export_xlsx_query": export_xlsx.urlencode(),
        "filter_form": filter_form,
        "page": page,
        "cursor_problem": cursor_problem,
        "managers": partner_managers(),
        "sort": filters.sort,
        "export_query": export.urlencode(),
        "today": request.tenant.local_today(),
    }
    if request.htmx:
        return render(request, "partners/partials/partner_results.html", context)
    return render(request, "partners/partner_list.html", context)


@staff_only
@require_POST
def partner_bulk(request):
    """Assign an account manager to, or export, the ticked partners or all the filters match;
    all or nothing."""
    form = PartnerBulkForm(request.POST)
    back = reverse("partner_list", kwargs={"tenant_slug": request.tenant.slug})
    query = QueryDict(request.POST.get("query", "")[:2000])
    back = f"{back}?{query.urlencode()}" if query else back
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    filter_form = PartnerFilterForm(query or None, tenant=request.tenant)
    filter_form.is_valid()
    filters = filter_form.filters()
    chosen = partner_list(filters=filters)
    if form.cleaned_data["scope"] == "selected":
        ticked = [partner.pk for partner in form.cleaned_data["partner"]]
        chosen = partner_list(filters=PartnerFilters(sort=filters.sort)).filter(pk__in=ticked)
    if form.cleaned_data["action"] == "export":
        return _partners_csv(request, chosen)
    manager = form.manager()
    count = services.partners_assign_manager(
        tenant=request.tenant, partners=chosen, account_manager=manager
    )
    partners = f"{count} partner{pluralize(count)}"
    if manager is None:
        has = "has" if count == 1 else "have"
        messages.success(request, f"{partners} now {has} no account manager.")
    else:
        messages.success(request, f"{partners} now managed by {manager.user.display_name}.")
    return redirect(back)


class _Echo:
    def write(self, value):
        return value


def _partners_csv(request, partners) -> StreamingHttpResponse:
    """Exactly the filtered list, in its order, streamed."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in partner_csv_rows(partners)),
        content_type="text/csv; charset=utf-8",
    )
    today = request.tenant.local_today()
    response["Content-Disposition"] = (
        f'attachment; filename="partners-{request.tenant.slug}-{today}.csv"'
    )
    return response


def _partners_xlsx(request, partners) -> HttpResponse:
    """The same rows as the CSV, as a workbook (written row by row: write-only mode)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Partners")
    for row in partner_csv_rows(partners):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    today = request.tenant.local_today()
    response["Content-Disposition"] = (
        f'attachment; filename="partners-{request.tenant.slug}-{today}.xlsx"'
    )
    return response


@staff_only
@require_http_methods(["GET", "POST"])
def partner_create(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Partner {partner.name} created.")
            return redirect(
                "partner_detail", tenant_slug=request.tenant.slug, partner_pk=partner.pk
            )
    return render(request, "partners/partner_form.html", {"form": form})


@staff_only
@require_http_methods(["GET", "POST"])
def partner_edit(request, partner_pk: int):
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if fields["joined_on"] is None:
            fields["joined_on"] = partner.joined_on
        try:
            services.partner_update(partner=partner, by=request.user, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Partner {partner.name} saved.")
            return redirect(
                "partner_detail", tenant_slug=request.tenant.slug, partner_pk=partner.pk
            )
    return render(request, "partners/partner_form.html", {"form": form, "partner": partner})
