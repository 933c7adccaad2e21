from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("partners.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("tiers.api.urls")),
    path("", include("incentives.api.urls")),
    path("", include("training.api.urls")),
]
