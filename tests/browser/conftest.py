import datetime

import pytest
import time_machine
from django_scopes import scope

from incentives.fund_services import mdf_allocate
from incentives.quarters import Quarter
from incentives.services import rebates_accrue
from partners.models import Partner
from tests.factories import move_to, placement_set
from tiers.models import Tier
from tiers.programs import program_load

from ..incentives.conftest import REBATE_PROGRAM, history
from ..tiers.conftest import set_values

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium: `playwright install` cannot download browsers on these machines.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def sign_in(page, live_server):
    def sign_in_as(email: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()

    return sign_in_as


@pytest.fixture
def gold_partner(acme):
    """Acme's P-001 has been Gold (10,000 of funds a quarter, 3.5 % of revenue) since the
    previous quarter began; its revenue of that quarter is accrued. Real time: the browser's
    clock cannot be moved."""
    today = acme.tenant.local_today()
    this_quarter = Quarter.of(today)
    last_quarter = this_quarter.previous()
    with (
        time_machine.travel(
            datetime.datetime.combine(last_quarter.first_day, datetime.time(0), tzinfo=datetime.UTC)
            - datetime.timedelta(days=30),
            tick=False,
        ),
        scope(tenant=acme.tenant),
    ):
        program, _, _ = program_load(tenant=acme.tenant, data=REBATE_PROGRAM)
        move_to(Partner.objects.all(), program)
    history(acme, "P-001", last_quarter.first_day, "gold")
    set_values(
        acme, "P-001", "revenue", {m.strftime("%Y-%m"): "40000" for m in last_quarter.months}
    )
    with scope(tenant=acme.tenant):
        placement_set(
            tenant=acme.tenant,
            partner=acme.partner,
            program=program,
            tier=Tier.objects.get(key="gold"),
            evaluated_on=last_quarter.first_day,
        )
        mdf_allocate(tenant=acme.tenant, quarter=this_quarter)
        rebates_accrue(tenant=acme.tenant, quarter=last_quarter)
    return acme, last_quarter
