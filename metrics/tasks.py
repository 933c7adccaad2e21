from django.core.cache import cache
from django.core.files.storage import default_storage

from partnerhub.celery import app
from partnerhub.tenancy.tasks import TenantTask

from .models import MetricImport
from .services import metric_import_run

PHASE_SPAN = {"reading": (0, 80), "validating": (85, 85), "writing": (92, 92)}


def progress_key(import_id: int) -> str:
    return f"metric-import:{import_id}:progress"


@app.task(base=TenantTask)
def run_metric_import(*, tenant, import_id: int) -> None:
    metric_import = MetricImport.objects.get(pk=import_id)

    def report_progress(phase: str, fraction: float) -> None:
        start, end = PHASE_SPAN[phase]
        percent = round(start + (end - start) * fraction)
        cache.set(progress_key(import_id), {"phase": phase, "percent": percent}, timeout=3600)

    with default_storage.open(metric_import.stored_file, "rb") as stored:
        data = stored.read()
    try:
        metric_import_run(metric_import=metric_import, data=data, progress=report_progress)
    finally:
        cache.delete(progress_key(import_id))
    default_storage.delete(metric_import.stored_file)
