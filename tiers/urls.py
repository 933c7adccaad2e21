from django.urls import path

from . import views

urlpatterns = [
    path("tiers/", views.tiers_dashboard, name="tiers_dashboard"),
    path("tiers/programs/<int:program_pk>/", views.program_detail, name="program_detail"),
    path(
        "tiers/programs/<int:program_pk>/tiers/<int:tier_pk>/criteria/",
        views.tier_rule_edit,
        name="tier_rule_edit",
    ),
    path(
        "tiers/programs/<int:program_pk>/tiers/<int:tier_pk>/benefits/",
        views.tier_benefits_edit,
        name="tier_benefits_edit",
    ),
    path("tiers/programs/<int:program_pk>/run/", views.program_run, name="program_run"),
    path(
        "tiers/programs/<int:program_pk>/governance/",
        views.program_governance,
        name="program_governance",
    ),
    path("tiers/programs/<int:program_pk>/undo/", views.program_undo, name="program_undo"),
    path("tiers/runs/<int:run_pk>/", views.run_status, name="run_status"),
    path("tiers/approvals/", views.demotion_queue, name="demotion_queue"),
    path("tiers/approvals/<int:pending_pk>/", views.demotion_decide, name="demotion_decide"),
    path("partners/<int:partner_pk>/override/", views.partner_override, name="partner_override"),
]
