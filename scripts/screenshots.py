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
    # (file, who, path, viewport width)
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
            partner = _partner_pk(env, "P-0008")
            for name, who, path, width in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                if who:
                    page.goto(base + "/accounts/login/")
                    page.get_by_label("Email").fill(who)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign In").click()
                    page.wait_for_load_state()
                page.goto(base + path.format(partner=partner))
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name), full_page=width < 600)
                page.close()
                print(f"docs/screenshots/{name}")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


def _partner_pk(env, ref: str) -> int:
    code = (
        "from django_scopes import scopes_disabled\n"
        "from partners.models import Partner\n"
        f"with scopes_disabled(): print(Partner.objects.get(tenant__slug='acme', ref='{ref}').pk)"
    )
    found = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(found.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
