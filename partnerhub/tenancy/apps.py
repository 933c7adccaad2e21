from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "partnerhub.tenancy"
    label = "tenancy"
