from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the deterministic demo (two tenants and their logins); idempotent."

    def handle(self, *args, **options):
        logins = demo_load()
        self.stdout.write("Demo logins (email / password):")
        for login in logins:
            self.stdout.write(f"  {login.email} / {DEMO_PASSWORD}    {login.tenant}, {login.role}")
