from django.urls import path

from . import views

urlpatterns = [
    path("partners/", views.PartnerList.as_view(), name="api_partner_list"),
    path("partners/<str:ref>/", views.PartnerDetail.as_view(), name="api_partner_detail"),
]
