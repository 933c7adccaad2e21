"""Integrations, for admins: API keys (made, listed with their last use, revoked) and webhook
endpoints (registered, turned on and off, their delivery log, redelivery)."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from partnerhub.api.keys import api_key_create, api_key_revoke
from partnerhub.api.models import ApiKey
from partnerhub.tenancy.access import admin_only, object_or_404

from .forms import ApiKeyForm, EndpointForm
from .models import WebhookDelivery, WebhookEndpoint
from .services import EndpointRefused, delivery_redeliver, endpoint_create


def _page(request, **extra):
    context = {
        "keys": ApiKey.objects.select_related("created_by"),
        "endpoints": WebhookEndpoint.objects.all(),
        "key_form": ApiKeyForm(),
        "endpoint_form": EndpointForm(),
    } | extra
    return render(request, "integrations/index.html", context)


@admin_only
def integrations(request):
    return _page(request)


@admin_only
@require_http_methods(["POST"])
def api_key_new(request):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, key_form=form)
    made = api_key_create(tenant=request.tenant, created_by=request.user, **form.cleaned_data)
    # Shown in this answer only: the key is not stored, so it cannot be shown again.
    return _page(request, new_key=made)


@admin_only
def api_key_revoke_view(request, key_pk: int):
    api_key = object_or_404(ApiKey.objects.all(), key_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    api_key_revoke(api_key=api_key)
    messages.success(request, f"The key “{api_key.name}” is revoked: calls with it now get 401.")
    return redirect("integrations", tenant_slug=request.tenant.slug)


@admin_only
@require_http_methods(["POST"])
def endpoint_new(request):
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = endpoint_create(
                tenant=request.tenant, created_by=request.user, **form.cleaned_data
            )
        except EndpointRefused as refused:
            form.add_error("url", str(refused))
        else:
            return _page(request, new_endpoint=endpoint)
    return _page(request, endpoint_form=form)


@admin_only
def endpoint_toggle(request, endpoint_pk: int):
    endpoint = object_or_404(WebhookEndpoint.objects.all(), endpoint_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    endpoint.active = not endpoint.active
    if endpoint.active:
        endpoint.failing_since, endpoint.disabled_reason = None, ""
    endpoint.save(update_fields=["active", "failing_since", "disabled_reason"])
    messages.success(request, f"{endpoint.url} is {'on' if endpoint.active else 'off'}.")
    return redirect("integrations", tenant_slug=request.tenant.slug)


@admin_only
def endpoint_log(request, endpoint_pk: int):
    endpoint = object_or_404(WebhookEndpoint.objects.all(), endpoint_pk)
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-pk")[:100]
    )
    return render(
        request, "integrations/endpoint_log.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@admin_only
def delivery_redeliver_view(request, delivery_pk: int):
    delivery = object_or_404(WebhookDelivery.objects.all(), delivery_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    delivery_redeliver(delivery=delivery)
    messages.success(request, "Sent again (receivers deduplicate by the event's id).")
    return redirect(
        "endpoint_log", tenant_slug=request.tenant.slug, endpoint_pk=delivery.endpoint_id
    )
