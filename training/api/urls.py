from django.urls import path

from . import views

urlpatterns = [
    path("certification-awards/", views.CertificationAwards.as_view(), name="api_awards"),
]
