from django.urls import path

from . import fund_views, views

urlpatterns = [
    path("rebates/", views.rebate_summary, name="rebate_summary"),
    path("rebates/accrue/", views.rebate_accrue, name="rebate_accrue"),
    path("discounts.csv", views.discount_export, name="discount_export"),
    path(
        "partners/<int:partner_pk>/rebates/",
        views.rebate_statement_view,
        name="rebate_statement",
    ),
    path("partners/<int:partner_pk>/funds/", fund_views.partner_funds, name="partner_funds"),
    path(
        "partners/<int:partner_pk>/funds/request/",
        fund_views.fund_request_new,
        name="fund_request_new",
    ),
    path("funds/", fund_views.fund_queue_view, name="fund_queue"),
    path("funds/report/", fund_views.fund_report_view, name="fund_report"),
    path("funds/allocate/", fund_views.fund_allocate, name="fund_allocate"),
    path(
        "funds/requests/<int:request_pk>/",
        fund_views.fund_request_detail,
        name="fund_request_detail",
    ),
    path(
        "funds/requests/<int:request_pk>/claim/",
        fund_views.fund_claim_new,
        name="fund_claim_new",
    ),
    path(
        "funds/requests/<int:request_pk>/<slug:step>/",
        fund_views.fund_request_step,
        name="fund_request_step",
    ),
    path(
        "funds/documents/<int:document_pk>/",
        fund_views.claim_document,
        name="claim_document",
    ),
]
