from django.urls import path

from . import views

urlpatterns = [
    path("metric-values/", views.MetricValueList.as_view(), name="api_metric_values"),
]
urlpatterns += [
    path("imports/", views.ImportList.as_view(), name="api_imports"),
    path("imports/<int:import_id>/", views.ImportDetail.as_view(), name="api_import"),
]
