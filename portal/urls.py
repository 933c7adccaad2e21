from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("partners/<int:partner_pk>/", views.partner_detail, name="partner_detail"),
]
