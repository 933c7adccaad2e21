"""Pages under load: 20 signed-in users at once against gunicorn, 50,000 partners a tenant.

    python bench/page_load.py [--partners 50000] [--users 20] [--rounds 8] [--think 1.0]

A tenant of 50,000 partners placed by a real run; a manager and a partner user with real
sessions (Django's own login); gunicorn with production settings (DEBUG off, static files
collected into staticfiles/). Each of `--users` threads asks every page `--rounds` times, in
turn, pausing between requests as a person does (uniformly 0.5 to 1.5 × `--think` seconds,
as locust's `between`); `--think 0` is a stress run with no pause at all. The script prints
p50 and p95 per page and the requests served a second. Bounded in count and in time: every
request has a 30 s timeout.
"""

import argparse
import os
import random
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
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--think", type=float, default=1.0)
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
    gold, deep = list_arguments(tenant)
    pages = {
        "partner list": (manager, f"/o/{slug}/partners/"),
        "searched": (manager, f"/o/{slug}/partners/?q=001234"),
        "filtered": (manager, f"/o/{slug}/partners/?tier={gold}&status=active"),
        "sorted by name, descending": (manager, f"/o/{slug}/partners/?sort=-name"),
        "sorted by tier": (manager, f"/o/{slug}/partners/?sort=tier"),
        "a deep page (from the 40,000th)": (manager, f"/o/{slug}/partners/?after={deep}"),
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
        started = time.perf_counter()
        times = load(pages, args.users, args.rounds, args.think)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = sum(len(seconds) for seconds in times.values())
    print(
        f"{args.partners:,} partners, {args.users} users pausing {args.think:g} s on average, "
        f"{served:,} requests, {served / elapsed:.1f} a second · {machine()}"
    )
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


def list_arguments(tenant) -> tuple[int, str]:
    """The Gold tier's id for the tier filter, and the cursor of the page after the
    40,000th partner by ref (the link a manager reaches by paging that far)."""
    from django_scopes import scope

    from partnerhub.keyset import keyset_page
    from partners.models import Partner
    from partners.selectors import PARTNER_SORTS
    from tiers.models import Tier

    with scope(tenant=tenant):
        gold = Tier.objects.get(key="gold").pk
        deep = Partner.objects.order_by("ref")[39_999:].values_list("ref", flat=True)[:1].get()
        edge = keyset_page(Partner.objects.filter(ref__gte=deep), PARTNER_SORTS["ref"], size=1)
    return gold, edge.next_cursor


def fetch(session: str, path: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        assert response.status == 200, (path, response.status)
    return time.perf_counter() - started


def load(pages: dict, users: int, rounds: int, think: float) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in pages}
    lock = threading.Lock()

    def user(offset: int) -> None:
        pause = random.Random(offset)
        names = list(pages)
        for n in range(rounds * len(names)):
            time.sleep(think * pause.uniform(0.5, 1.5))
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
