from django.urls import path

from . import views

urlpatterns = [
    path("placements/", views.PlacementList.as_view(), name="api_placements"),
    path("placements/history/", views.PlacementHistory.as_view(), name="api_placement_history"),
    path("placements/<str:ref>/", views.PlacementDetail.as_view(), name="api_placement"),
    path("partners/<str:ref>/override/", views.PartnerOverride.as_view(), name="api_override"),
    path("programs/<slug:key>/", views.ProgramDetail.as_view(), name="api_program"),
    path(
        "programs/<slug:key>/preview/", views.ProgramPreview.as_view(), name="api_program_preview"
    ),
    path("programs/<slug:key>/runs/", views.RunList.as_view(), name="api_runs"),
    path("programs/<slug:key>/runs/<int:run_id>/", views.RunDetail.as_view(), name="api_run"),
]
