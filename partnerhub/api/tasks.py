import datetime

from django.utils import timezone
from django_scopes import scopes_disabled

from partnerhub.celery import app

from .models import IdempotentResponse

KEEP_IDEMPOTENT_ANSWERS = datetime.timedelta(hours=24)


@app.task
def prune_idempotent_answers() -> int:
    """Hourly (beat): forget first answers older than a day; a retry after that runs again.
    Keyed by age, not tenant, so it is one of the few writes across tenants."""
    with scopes_disabled():
        deleted, _ = IdempotentResponse.objects.filter(
            created_at__lt=timezone.now() - KEEP_IDEMPOTENT_ANSWERS
        ).delete()
    return deleted
