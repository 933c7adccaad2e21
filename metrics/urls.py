from django.urls import path

from . import views

urlpatterns = [
    path("metrics/", views.metric_index, name="metric_list"),
    path("metrics/new/", views.metric_create, name="metric_create"),
    path("metrics/months/close/", views.month_close, name="month_close"),
    path("metrics/<int:metric_pk>/edit/", views.metric_edit, name="metric_edit"),
    path("metrics/imports/", views.metric_import_index, name="metric_import_list"),
    path(
        "metrics/imports/<int:import_pk>/retry/",
        views.metric_import_retry,
        name="metric_import_retry",
    ),
    path(
        "metrics/imports/<int:import_pk>/", views.metric_import_detail, name="metric_import_detail"
    ),
    path("metrics/export/", views.metric_export, name="metric_export"),
    path(
        "partners/<int:partner_pk>/scorecard/",
        views.partner_scorecard_view,
        name="partner_scorecard",
    ),
]
