from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that bring every app together (a partner's home, a partner's page for
    managers) and the demo: the one app that may import all the others."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
