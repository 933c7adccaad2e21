from django.urls import path

from . import views

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:membership_pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_pk>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
]
