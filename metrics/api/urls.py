from django.urls import path

from . import views

urlpatterns = [
    path("metric-values/", views.MetricValueList.as_view(), name="api_metric_values"),
]
