from django.urls import path

from . import views

urlpatterns = [
    path("rebates/", views.rebate_summary, name="rebate_summary"),
    path("rebates/accrue/", views.rebate_accrue, name="rebate_accrue"),
    path(
        "partners/<int:partner_pk>/rebates/",
        views.rebate_statement_view,
        name="rebate_statement",
    ),
]
