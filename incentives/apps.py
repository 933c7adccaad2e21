from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    """Money that follows the tier: rebates (and, next, market development funds). Depends on
    tiers, never the other way round."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "incentives"
