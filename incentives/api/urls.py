from django.urls import path

from . import views

urlpatterns = [
    path("rebates/ledger/", views.RebateLedger.as_view(), name="api_rebate_ledger"),
    path("rebates/totals/", views.RebateTotals.as_view(), name="api_rebate_totals"),
    path("mdf/requests/", views.FundRequestList.as_view(), name="api_fund_requests"),
    path(
        "mdf/requests/<int:request_id>/decision/",
        views.FundRequestDecision.as_view(),
        name="api_fund_decision",
    ),
]
