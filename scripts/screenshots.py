"""Screenshots of the main pages for the README, taken from the demo so they stay current.

    make screenshots        (.venv/bin/python scripts/screenshots.py)

Migrates a throwaway SQLite database, loads the demo, serves it on a free port and drives
Debian's Chromium through each role's main pages; the PNGs go to docs/screenshots/.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "partnerhub-demo"  # noqa: S105 - the demo's published password

SHOTS = [
    # (file, who, path, viewport width[, (a button to press first, what it shows)])
    ("partner-home.png", "p-0008@partners.acme.example", "/o/acme/", 1280),
    (
        "partner-funds.png",
        "p-0008@partners.acme.example",
        "/o/acme/partners/{partner}/funds/",
        1280,
    ),
    ("partner-home-phone.png", "partner@acme.example", "/o/acme/", 390),
    ("manager-home.png", "manager@acme.example", "/o/acme/", 1280),
    ("manager-funds-queue.png", "manager@acme.example", "/o/acme/funds/", 1280),
    ("manager-partners.png", "manager@acme.example", "/o/acme/partners/?sort=tier", 1280),
    ("admin-tiers.png", "admin@acme.example", "/o/acme/tiers/", 1280),
    (
        "admin-rule-builder.png",
        "admin@acme.example",
        "/o/acme/tiers/programs/{program}/tiers/{tier}/criteria/",
        1280,
        ("Preview on today's data", "#what-if section"),
    ),
    ("admin-integrations.png", "admin@acme.example", "/o/acme/integrations/", 1280),
    ("api-docs.png", None, "/api/v1/docs/", 1280),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    database = Path(tempfile.mkdtemp()) / "screenshots.sqlite3"
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": ""}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603 - our own manage.py
        [*manage, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/accounts/login/")  # noqa: S310 - our own server
                break
            except OSError:
                time.sleep(0.5)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            ids = _ids(env)
            for name, who, path, width, *press in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                if who:
                    page.goto(base + "/accounts/login/")
                    page.get_by_label("Email").fill(who)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign In").click()
                    page.wait_for_load_state()
                page.goto(base + path.format(**ids))
                page.wait_for_load_state("networkidle")
                for button, shown in press:
                    page.get_by_role("button", name=button).click()
                    page.locator(shown).wait_for()
                page.screenshot(path=str(OUT / name), full_page=width < 600 or bool(press))
                page.close()
                print(f"docs/screenshots/{name}")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


def _ids(env) -> dict[str, int]:
    """The demo's ids the paths need: Acme's P-0008, and its program's highest tier."""
    code = (
        "from django_scopes import scopes_disabled\n"
        "from partners.models import Partner\n"
        "with scopes_disabled():\n"
        "    partner = Partner.objects.get(tenant__slug='acme', ref='P-0008')\n"
        "    program = partner.programs.order_by('name').first()\n"
        "    tier = program.tiers.order_by('-rank').first()\n"
        "    print(partner.pk, program.pk, tier.pk)"
    )
    found = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    partner, program, tier = map(int, found.stdout.strip().splitlines()[-1].split())
    return {"partner": partner, "program": program, "tier": tier}


if __name__ == "__main__":
    main()
