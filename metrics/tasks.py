from django.core.cache import cache
from django.core.files.storage import default_storage

from partnerhub.celery import app
from partnerhub.tenancy.tasks import JobTask

from .models import ImportStatus, MetricImport
from .services import metric_import_run

PHASE_SPAN = {"reading": (0, 80), "validating": (85, 85), "writing": (92, 92)}


def progress_key(import_id: int) -> str:
    return f"metric-import:{import_id}:progress"


@app.task(base=JobTask, bind=True)
def run_metric_import(self, *, tenant, import_id: int) -> str:
    metric_import = MetricImport.objects.get(pk=import_id)
    if metric_import.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return metric_import.status  # ended already: a duplicate delivery
    self.wait_while_alive(MetricImport, import_id)

    def report_progress(phase: str, fraction: float) -> None:
        start, end = PHASE_SPAN[phase]
        percent = round(start + (end - start) * fraction)
        cache.set(progress_key(import_id), {"phase": phase, "percent": percent}, timeout=3600)

    try:
        with default_storage.open(metric_import.stored_file, "rb") as stored:
            metric_import = metric_import_run(
                metric_import=metric_import, source=stored, progress=report_progress
            )
    finally:
        cache.delete(progress_key(import_id))
    return metric_import.status
