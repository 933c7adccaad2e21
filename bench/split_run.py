"""A nightly run of a large program on real Celery workers: one worker process against two,
the program split into chunks (RUN_SPLIT_CHUNK) and applied as one.

    python bench/split_run.py [--partners 200000] [--months 24]

Each worker is started against the bench database, the run is queued as the nightly queues it,
and the time is taken from queuing to the run's end (status done).
"""

import argparse
import datetime
import os
import subprocess
import sys
import time

from common import BENCH_DATABASE_URL, ROOT, machine, setup_django
from recalculate import AS_OF, bench_program

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--chunk", type=int, default=25_000)
    args = parser.parse_args()
    os.environ.update(
        REDIS_URL=REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        RUN_SPLIT_ABOVE="1",
        RUN_SPLIT_CHUNK=str(args.chunk),
    )
    setup_django()
    tenant, program = bench_program(args.partners, args.months)
    print(f"{args.partners:,} partners in chunks of {args.chunk:,} · {machine()}")
    for day, processes in enumerate((1, 2)):
        seconds, run = timed_run(tenant, program, AS_OF + datetime.timedelta(days=day), processes)
        print(
            f"{processes} worker process(es): {seconds:7.2f} s  status {run.status}, "
            f"{len(run.chunks)} chunks, {run.summary.get('evaluated', 0):,} evaluated"
        )


def timed_run(tenant, program, as_of, processes: int):
    from django_scopes import scope

    from tiers.models import RecalculationRun
    from tiers.services import recalculation_queue

    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "partnerhub",
            "worker",
            "--concurrency",
            str(processes),
            "--prefetch-multiplier",
            "1",
            "-l",
            "warning",
            "--purge",
        ],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": BENCH_DATABASE_URL},
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(6)  # the worker connects and purges the queue
        with scope(tenant=tenant):
            started = time.perf_counter()
            run = recalculation_queue(program=program, as_of=as_of)
            while True:
                time.sleep(0.25)
                run = RecalculationRun.objects.get(pk=run.pk)
                if run.is_finished:
                    return time.perf_counter() - started, run
    finally:
        worker.terminate()
        worker.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
