from django.urls import path

from . import views

urlpatterns = [
    path("partners/", views.partner_index, name="partner_list"),
    path("partners/bulk/", views.partner_bulk, name="partner_bulk"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:partner_pk>/edit/", views.partner_edit, name="partner_edit"),
]
