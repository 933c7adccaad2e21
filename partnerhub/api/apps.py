from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "partnerhub.api"
    label = "api"
    verbose_name = "API keys"

    def ready(self):
        from . import schema  # noqa: F401 - registers the API key scheme with drf-spectacular
