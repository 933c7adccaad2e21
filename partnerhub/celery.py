import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings")

app = Celery("partnerhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.heartbeat_sent.connect
def _worker_alive(sender=None, **kwargs):
    from partnerhub.health import record_worker_heartbeat

    record_worker_heartbeat()
