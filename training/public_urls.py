"""Pages outside any program: checking a certificate by its code (no sign-in)."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        r"^(?P<code>[A-Za-z0-9_-]{8,32})/$", views.certificate_verify, name="certificate_verify"
    ),
]
