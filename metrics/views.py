from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from partnerhub.csvfiles import size_text
from partnerhub.queue import QueueUnavailable
from partnerhub.tenancy.access import admin_only, object_or_404, staff_only
from partnerhub.tenancy.scoping import iterate_in_tenant
from partners.selectors import partner_for_member

from . import services
from .forms import MetricExportForm, MetricForm, MetricUploadForm
from .models import Metric, MetricImport
from .selectors import (
    metric_csv_lines,
    metric_imports_recent,
    metric_list,
    metric_values_for_export,
    partner_scorecard,
    recent_months,
)
from .tasks import progress_key
from .uploads import RefuseOversizedUpload


@staff_only
def metric_index(request):
    months = recent_months(today=request.tenant.local_today())
    return render(request, "metrics/metric_list.html", {"metrics": metric_list(), "months": months})


@admin_only
@require_http_methods(["POST"])
def month_close(request):
    """Mark a month's data complete (the button per month on the metrics page)."""
    try:
        month = services.month_parse(request.POST.get("month", ""))
        services.month_close(tenant=request.tenant, month=month, by=request.user, source="page")
    except services.MonthNotClosable as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{month:%Y-%m} is closed: its data is complete.")
    return redirect(reverse("metric_list", kwargs={"tenant_slug": request.tenant.slug}) + "#months")


@admin_only
@require_http_methods(["GET", "POST"])
def metric_create(request):
    return _metric_form(request, None)


@admin_only
@require_http_methods(["GET", "POST"])
def metric_edit(request, metric_pk: int):
    return _metric_form(request, object_or_404(Metric.objects.all(), metric_pk))


def _metric_form(request, metric: Metric | None):
    form = MetricForm(request.POST or None, instance=metric)
    if request.method == "POST" and form.is_valid():
        if metric is None:
            metric = services.metric_create(tenant=request.tenant, **form.cleaned_data)
        else:
            services.metric_update(metric=metric, **form.cleaned_data)
        messages.success(request, f"Metric {metric.name} saved.")
        return redirect("metric_list", tenant_slug=request.tenant.slug)
    return render(request, "metrics/metric_form.html", {"form": form, "metric": metric})


@csrf_exempt  # checked below, once the size limit is in place (Django's documented pattern)
def metric_import_index(request):
    if request.method == "POST":
        request.upload_handlers.insert(0, RefuseOversizedUpload(request))
    return _metric_import_index(request)


@staff_only
@require_http_methods(["GET", "POST"])
def _metric_import_index(request):
    if request.method == "POST" and request.POST is not None:  # parsing applies the limit
        refused_bytes = getattr(request, "refused_upload_bytes", None)
        if refused_bytes is not None and "X-CSRFToken" not in request.headers:
            # A plain form's CSRF token travels in the body that was refused unread: nothing
            # can be verified, so nothing is recorded; the page says why, as the htmx path does.
            context = _page(MetricUploadForm()) | {"refused": _too_large(refused_bytes)}
            return render(request, "metrics/import_list.html", context, status=413)
    return _metric_import_form(request)


@csrf_protect
def _metric_import_form(request):
    form = MetricUploadForm()
    if request.method == "POST":
        form = MetricUploadForm(request.POST, request.FILES)  # parses, or refuses, the upload
        refused_bytes = getattr(request, "refused_upload_bytes", None)
        if refused_bytes is not None or form.is_valid():
            try:
                metric_import = _start_import(request, form, refused_bytes)
            except QueueUnavailable as unavailable:
                form.add_error(None, str(unavailable))
            else:
                url = metric_import_url(request, metric_import)
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render(request, "metrics/partials/upload_form.html", _page(form))
    return render(request, "metrics/import_list.html", _page(form))


def _page(form) -> dict:
    return {
        "form": form,
        "imports": metric_imports_recent(),
        "max_bytes": settings.METRIC_IMPORT_MAX_BYTES,
    }


def _start_import(request, form, refused_bytes: int | None) -> MetricImport:
    if refused_bytes is not None:
        return services.metric_import_refuse(
            tenant=request.tenant,
            file_name="(upload too large)",
            size_bytes=refused_bytes,
            started_by=request.user,
            problem=_too_large(refused_bytes),
        )
    uploaded = form.cleaned_data["file"]
    if uploaded.size > settings.METRIC_IMPORT_MAX_BYTES:
        return services.metric_import_refuse(
            tenant=request.tenant,
            file_name=uploaded.name,
            size_bytes=uploaded.size,
            started_by=request.user,
            problem=_too_large(uploaded.size),
        )
    return services.metric_import_upload(
        tenant=request.tenant, uploaded_file=uploaded, started_by=request.user
    )


def _too_large(size: int) -> str:
    return (
        f"the upload is {size_text(size)}; files up to "
        f"{size_text(settings.METRIC_IMPORT_MAX_BYTES)} can be imported"
    )


def metric_import_url(request, metric_import: MetricImport) -> str:
    return reverse(
        "metric_import_detail",
        kwargs={"tenant_slug": request.tenant.slug, "import_pk": metric_import.pk},
    )


@staff_only
def metric_import_detail(request, import_pk: int):
    metric_import = object_or_404(MetricImport.objects.select_related("started_by"), import_pk)
    context = {
        "metric_import": metric_import,
        "progress": cache.get(progress_key(metric_import.pk)) or {"phase": "queued", "percent": 0},
    }
    if request.htmx:
        return render(request, "metrics/partials/import_status.html", context)
    return render(request, "metrics/import_detail.html", context)


@staff_only
def metric_import_retry(request, import_pk: int):
    metric_import = object_or_404(MetricImport.objects.all(), import_pk)  # 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        retried = services.metric_import_retry(metric_import=metric_import)
    except QueueUnavailable as unavailable:
        messages.error(request, str(unavailable))
    else:
        if retried:
            messages.success(request, f"The import of {metric_import.file_name} runs again.")
        else:
            messages.error(request, "This import cannot be retried; upload the file again.")
    return redirect(metric_import_url(request, metric_import))


@staff_only
def metric_export(request):
    form = MetricExportForm(request.GET or None)
    if not request.GET or not form.is_valid():
        return render(request, "metrics/export.html", {"form": form})
    lines = metric_csv_lines(metric_values_for_export(filters=form.filters()))
    response = StreamingHttpResponse(
        iterate_in_tenant(request.tenant, lines), content_type="text/csv; charset=utf-8"
    )
    today = request.tenant.local_today().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="metrics-{request.tenant.slug}-{today}.csv"'
    )
    return response


def partner_scorecard_view(request, partner_pk: int):
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    series = partner_scorecard(partner=partner, today=request.tenant.local_today())
    return render(request, "metrics/scorecard.html", {"partner": partner, "series": series})
