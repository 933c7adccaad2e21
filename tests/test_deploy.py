"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "partnerhub.settings",
        "SECRET_KEY": "a-production-secret-" + "x7Gq2" * 10,
        "ALLOWED_HOSTS": "partners.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "partnerhub.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_pages_carry_a_content_security_policy_and_signed_in_pages_are_not_stored(acme):
    from django.test import Client

    anonymous = Client().get("/accounts/login/")
    policy = anonymous["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], "no inline script"
    signed_in = acme.client_for(acme.manager).get("/o/acme/")
    assert "no-store" in signed_in["Cache-Control"] and "private" in signed_in["Cache-Control"]


def test_no_template_holds_an_inline_script():
    from pathlib import Path

    for template in Path(__file__).resolve().parent.parent.joinpath("templates").rglob("*.html"):
        text = template.read_text()
        for opening in text.split("<script")[1:]:
            assert "src=" in opening.split(">")[0] or opening.startswith(
                ' type="application/json'
            ), f"{template.name} has an inline script, which the CSP blocks"


def test_the_compose_file_defaults_https_on_as_the_settings_do():
    import re
    from pathlib import Path

    compose = Path(__file__).resolve().parent.parent.joinpath("docker-compose.yml").read_text()
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert re.search(rf"{name}: \$\{{{name}:-1\}}", compose), f"{name} defaults on"
    assert "/healthz" in compose.split("web:")[1].split("worker:")[0], "the web healthcheck"


def test_static_files_collect_with_the_production_storage(settings, tmp_path):
    """The manifest storage follows every url() and sourceMappingURL in the files it hashes; a
    vendored file that names a map we do not ship would stop the image's collectstatic."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
