"""Acme and Globex run the same program, with rebates and MDF, in force since June 2026."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from incentives.fund_services import fund_claim_file, fund_request_submit, mdf_allocate
from incentives.quarters import Quarter
from partners.models import Partner
from tests.factories import move_to
from tiers.models import PlacementChange, Program, Tier
from tiers.programs import program_load

from ..tiers.conftest import PROGRAM

D = datetime.date
TODAY = D(2026, 11, 24)

REBATE_PROGRAM = json.loads(json.dumps(PROGRAM))
REBATE_PROGRAM["tiers"][1]["rebates"] = [{"metric": "revenue", "rate": "2.5"}]
REBATE_PROGRAM["tiers"][2]["rebates"] = [{"metric": "revenue", "rate": "3.5", "cap": "20000"}]
REBATE_PROGRAM["tiers"][2]["mdf"] = {"quarterly": "10000"}


@pytest.fixture
def rebates(acme, globex, time_machine):
    """Acme's program with Silver 2.5 % and Gold 3.5 % capped at 20,000 of revenue, in force
    since June; Globex has the same program and refs, and stays untouched."""
    time_machine.move_to(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC))
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            program, _, _ = program_load(tenant=world.tenant, data=REBATE_PROGRAM)
            move_to(Partner.objects.all(), program)
    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
    return acme


def history(world, ref, on, to_key, reason="promotion"):
    with scope(tenant=world.tenant):
        program = Program.objects.get()
        PlacementChange.objects.create(
            tenant=world.tenant,
            partner=Partner.objects.get(ref=ref),
            program=program,
            to_tier=Tier.objects.get(key=to_key) if to_key else None,
            on=on,
            reason=reason,
            version=program.version,
        )


@pytest.fixture
def funded(rebates):
    """Acme's P-001 (the partner user's partner) has been Gold since March: 10,000 for 2026-Q3
    (usable until 31 December) and 10,000 for 2026-Q4 (until 31 March)."""
    history(rebates, "P-001", D(2026, 3, 1), "gold")
    with scope(tenant=rebates.tenant):
        mdf_allocate(tenant=rebates.tenant, quarter=Quarter.parse("2026-Q3"))
        mdf_allocate(tenant=rebates.tenant, quarter=Quarter.parse("2026-Q4"))
    return rebates


def submit(world, amount, *, membership=None, starts_on=TODAY, ends_on=TODAY, title="Roadshow"):
    with scope(tenant=world.tenant):
        return fund_request_submit(
            membership=membership or world.partner_user,
            title=title,
            activity_type="event",
            starts_on=starts_on,
            ends_on=ends_on,
            amount=Decimal(amount),
            description="Three cities, two hundred customers.",
        )


def step(world, service, fund_request, membership=None, **kwargs):
    with scope(tenant=world.tenant):
        return service(fund_request=fund_request, membership=membership or world.manager, **kwargs)


def claim(world, fund_request, cost, files=None):
    files = files if files is not None else [proof("invoice.pdf"), proof("stand.jpg")]
    with scope(tenant=world.tenant):
        return fund_claim_file(
            fund_request=fund_request,
            membership=world.partner_user,
            actual_cost=Decimal(cost),
            files=files,
            note="Invoices from the venue and the printer.",
        )


def proof(name, size=2_000):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, content_type="application/pdf")
