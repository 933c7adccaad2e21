"""The staff home answers "what needs me today?": partners per tier with the at-risk ones,
movements per month, runs and imports (a failed or stuck one stands out), certifications about
to expire, funds to decide, rebates accrued; a manager sees its own partners at risk."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django_scopes import scope

from incentives.models import RebateEntry
from metrics.models import Metric, MetricImport
from tests.factories import placement_set
from tiers.models import Program, RecalculationRun
from training.models import Certification, CertificationAward

from ..incentives.conftest import D, history, submit  # noqa: F401
from ..tiers.conftest import load


def test_the_admin_home_shows_the_program_at_a_glance(acme, django_assert_max_num_queries):
    load(acme)
    today = D(2026, 11, 24)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
        program.grace_days = 30
        program.save()
        gold = program.tiers.get(key="gold")
        silver = program.tiers.get(key="silver")
        for ref, tier, at_risk in (("P-001", gold, D(2026, 11, 20)), ("P-002", silver, None)):
            placement_set(
                tenant=acme.tenant,
                partner=acme.partners[ref],
                program=program,
                tier=tier,
                at_risk_since=at_risk,
            )
        stuck = RecalculationRun.objects.create(
            tenant=acme.tenant, program=program, as_of=today, status="running",
            heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
        )  # fmt: skip
        MetricImport.objects.create(
            tenant=acme.tenant, file_name="crm.csv", size_bytes=1, status="failed"
        )
        certification = Certification.objects.create(tenant=acme.tenant, key="pro", name="Pro")
        CertificationAward.objects.create(
            tenant=acme.tenant, partner=acme.partners["P-001"], email="ann@p.test",
            certification=certification, earned_on=D(2024, 12, 1), expires_on=D(2026, 12, 10),
            source="import",
        )  # fmt: skip
        RebateEntry.objects.create(
            tenant=acme.tenant, partner=acme.partners["P-001"], quarter="2026-Q3",
            metric=Metric.objects.get(key="revenue"), tier=gold, kind="accrual",
            amount=Decimal("1234.50"),
        )  # fmt: skip
    history(acme, "P-001", D(2026, 10, 1), "gold")
    client = acme.client_for(acme.admin)
    client.get("/o/acme/")
    with django_assert_max_num_queries(20):
        page = client.get("/o/acme/").content.decode()
    assert "Partners per tier" in page and '<strong class="at-risk">1</strong>' in page
    assert 'title="Oct 2026: 1 up, 0 down"' in page
    assert page.count('class="chart-col"') == 12 and 'title="Dec 2025:' in page
    assert '<strong class="at-risk">stuck</strong>' in page and stuck.program.name in page
    assert '<strong class="at-risk">failed</strong>' in page and "Import: crm.csv" in page
    assert '1</div><div class="stat-label">certification expiring within 30 days' in page
    assert '€1,234.50</div><div class="stat-label">rebates accrued for 2026-Q3' in page
    assert '20 Dec 2026</td><td class="num">26<' in page, "30 days of grace from 20 Nov"


def test_a_manager_sees_its_own_partners_at_risk_first(acme):
    load(acme)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
        silver = program.tiers.get(key="silver")
        program.grace_days = 30
        program.save()
        for ref, since in (("P-001", D(2026, 11, 20)), ("P-002", D(2026, 11, 1))):
            placement_set(
                tenant=acme.tenant,
                partner=acme.partners[ref],
                program=program,
                tier=silver,
                at_risk_since=since,
            )
    page = acme.client_for(acme.manager).get("/o/acme/").content.decode()
    assert "Your partners at risk" in page
    assert page.index("Acme P-002") < page.index("Acme P-001"), "the soonest grace end first"
    assert '>1 Dec 2026</td><td class="num">7<' in page
    assert '>20 Dec 2026</td><td class="num">26<' in page


def test_the_home_says_what_keeping_the_tier_needs(acme):
    from tiers.services import placements_recalculate

    from ..tiers.conftest import set_values

    load(acme, grace_days=30)
    set_values(acme, "P-001", "revenue", {"2026-01": "150000", "2026-09": "58000"})
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 22))
    set_values(acme, "P-001", "revenue", {"2026-01": "0"})  # a late correction
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 24))
    page = acme.client_for(acme.manager).get("/o/acme/").content.decode()
    assert "Your partners at risk" in page
    assert "<td>EUR 42,000 more revenue in the last 12 months</td>" in page


def test_the_home_says_who_the_next_run_would_move_and_moves_nobody(acme, globex):
    from tiers.services import placements_recalculate

    from ..tiers.conftest import set_values, tiers_now

    load(acme)
    load(globex)
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 22))
    set_values(acme, "P-002", "revenue", {"2026-10": "130000"})  # now qualifies for Silver
    before = tiers_now(acme)
    client = acme.client_for(acme.manager)
    home = client.get("/o/acme/").content.decode()
    assert 'hx-get="/o/acme/home/next-run/"' in home
    panel = client.get("/o/acme/home/next-run/").content.decode()
    assert "Acme P-002" in panel and "<td>Silver</td><td>Promotion</td>" in panel
    assert "Acme P-001" not in panel
    assert tiers_now(acme) == before, "a dry run writes nothing"
    assert acme.client_for(acme.partner_user).get("/o/acme/home/next-run/").status_code == 403
    other = globex.client_for(globex.manager).get("/o/globex/home/next-run/").content.decode()
    assert "Nobody would move" in other, "Globex's data did not change"
