from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("partners/<int:partner_pk>/", views.partner_detail, name="partner_detail"),
    path("notices/", views.notice_list, name="notice_list"),
    path("home/next-run/", views.would_move_panel, name="would_move"),
    path("notices/read/", views.notices_read_all, name="notices_read_all"),
    path("notices/<int:notice_pk>/", views.notice_open, name="notice_open"),
]
