from django.urls import include, path, re_path

from partnerhub import health
from partnerhub.tenancy import views as tenancy_views

tenant_patterns = [
    path("", include("partnerhub.tenancy.urls")),
    path("", include("portal.urls")),
    path("", include("partners.urls")),
    path("", include("metrics.urls")),
    path("", include("training.urls")),
    path("", include("tiers.urls")),
    path("", include("incentives.urls")),
    path("", include("partnerhub.webhooks.urls")),
]

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("certificates/", include("training.public_urls")),
    path("api/v1/", include("partnerhub.api.urls")),
    path("accounts/", include("allauth.urls")),
    re_path(
        r"^invitations/(?P<token>[A-Za-z0-9_-]{1,64})/$",
        tenancy_views.invitation_accept,
        name="invitation_accept",
    ),
    path("o/<slug:tenant_slug>/", include(tenant_patterns)),
]

handler404 = "partnerhub.api.errors.not_found"
