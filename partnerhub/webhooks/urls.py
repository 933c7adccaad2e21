from django.urls import path

from . import views

urlpatterns = [
    path("integrations/", views.integrations, name="integrations"),
    path("integrations/keys/", views.api_key_new, name="api_key_new"),
    path(
        "integrations/keys/<int:key_pk>/revoke/",
        views.api_key_revoke_view,
        name="api_key_revoke",
    ),
    path("integrations/webhooks/", views.endpoint_new, name="endpoint_new"),
    path(
        "integrations/webhooks/<int:endpoint_pk>/toggle/",
        views.endpoint_toggle,
        name="endpoint_toggle",
    ),
    path(
        "integrations/webhooks/<int:endpoint_pk>/",
        views.endpoint_log,
        name="endpoint_log",
    ),
    path(
        "integrations/deliveries/<int:delivery_pk>/redeliver/",
        views.delivery_redeliver_view,
        name="delivery_redeliver",
    ),
]
