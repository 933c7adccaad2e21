"""Pages under load: 20 signed-in users at once against gunicorn, 50,000 partners a tenant.

    python bench/page_load.py [--partners 50000] [--users 20] [--requests 25]

A tenant of 50,000 partners placed by a real run; a manager and a partner user with real
sessions (Django's own login); gunicorn with production settings (DEBUG off, static files
collected into staticfiles/). Each of `--users` threads asks every page `--requests` times,
in turn; the script prints p50 and p95 per page. Bounded in count and in time: every request
has a 30 s timeout.
"""

import argparse
import os
import statistics
import subprocess
import threading
import time
import urllib.request

from common import BENCH_DATABASE_URL, ROOT, machine, setup_django
from recalculate import AS_OF, bench_program

PORT = 8765


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    production = {
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECRET_KEY": "bench-only-" + "b" * 50,
    }
    os.environ.update(production)
    setup_django()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    tenant, program = bench_program(args.partners, 12)
    from django_scopes import scope

    from tiers.services import placements_recalculate

    with scope(tenant=tenant):
        placements_recalculate(program=program, as_of=AS_OF, notify=False)
    manager, partner, partner_pk = sessions(tenant)
    slug = tenant.slug
    pages = {
        "partner list": (manager, f"/o/{slug}/partners/"),
        "searched": (manager, f"/o/{slug}/partners/?q=001234"),
        "filtered": (manager, f"/o/{slug}/partners/?tier=gold&status=active"),
        "sorted by name, descending": (manager, f"/o/{slug}/partners/?sort=-name"),
        "sorted by tier": (manager, f"/o/{slug}/partners/?sort=tier"),
        "a partner page": (manager, f"/o/{slug}/partners/{partner_pk}/"),
        "tier dashboard": (manager, f"/o/{slug}/tiers/"),
        "partner home": (partner, f"/o/{slug}/"),
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "partnerhub.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(2 * (os.cpu_count() or 1) + 1),
        ],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": BENCH_DATABASE_URL},
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        for session, path in pages.values():  # warm each worker a little
            fetch(session, path)
        times = load(pages, args.users, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{args.partners:,} partners, {args.users} users, {args.requests} rounds · {machine()}")
    print("| page | requests | p50 | p95 |")
    print("|---|---|---|---|")
    for name, seconds in times.items():
        p50 = statistics.median(seconds) * 1000
        p95 = statistics.quantiles(seconds, n=20)[18] * 1000
        print(f"| {name} | {len(seconds)} | {p50:.0f} ms | {p95:.0f} ms |")


def sessions(tenant):
    """Session cookies of a manager and of a partner user, signed in by Django's login."""
    from django.test import Client
    from django_scopes import scope

    from partnerhub.tenancy.models import Membership, Role
    from partners.models import Partner
    from tests.factories import UserFactory

    with scope(tenant=tenant):
        partner = Partner.objects.order_by("ref").first()
        cookies = []
        for role, of in ((Role.MANAGER, None), (Role.PARTNER, partner)):
            user = UserFactory(email=f"{role}@bench.test")
            Membership.objects.create(tenant=tenant, user=user, role=role, partner=of)
            client = Client()
            client.force_login(user)
            cookies.append(client.cookies["sessionid"].value)
    return cookies[0], cookies[1], partner.pk


def fetch(session: str, path: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        assert response.status == 200, (path, response.status)
    return time.perf_counter() - started


def load(pages: dict, users: int, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in pages}
    lock = threading.Lock()

    def user(offset: int) -> None:
        names = list(pages)
        for n in range(rounds * len(names)):
            name = names[(n + offset) % len(names)]
            seconds = fetch(*pages[name])
            with lock:
                times[name].append(seconds)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


if __name__ == "__main__":
    main()
