import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scope

from partnerhub.csvfiles import FileRejected
from training.models import Certification, CertificationAward
from training.services import certification_import_csv, expiry_reminders_send

HEADER = "partner_ref,email,certification,earned_on,expires_on\n"
D = datetime.date


@pytest.fixture
def certs(acme, globex):
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            Certification.objects.create(
                tenant=world.tenant, key="sales-pro", name="Sales Professional"
            )
    return acme


def awards(world):
    with scope(tenant=world.tenant):
        return sorted(
            (a.partner.ref, a.email, a.certification.key, a.earned_on, a.expires_on)
            for a in CertificationAward.objects.select_related("partner", "certification")
        )


def test_an_import_creates_awards_and_a_second_import_updates_the_expiry(certs, globex):
    text = (
        HEADER
        + "P-001,Ann@Reseller.test,sales-pro,2026-01-10,2027-01-10\nP-002,bob@r.test,sales-pro,2025-05-01,\n"
    )
    result = certification_import_csv(tenant=certs.tenant, data=text.encode())
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    again = (
        HEADER
        + "P-001,ann@reseller.test,sales-pro,2026-01-10,2027-06-30\nP-001,ann@reseller.test,sales-pro,2027-01-05,2029-01-05\n"
    )
    result = certification_import_csv(tenant=certs.tenant, data=again.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0), (
        "a renewal is a new award"
    )
    assert awards(certs) == [
        ("P-001", "ann@reseller.test", "sales-pro", D(2026, 1, 10), D(2027, 6, 30)),
        ("P-001", "ann@reseller.test", "sales-pro", D(2027, 1, 5), D(2029, 1, 5)),
        ("P-002", "bob@r.test", "sales-pro", D(2025, 5, 1), None),
    ]
    assert awards(globex) == []


def test_a_bad_file_names_every_problem_and_writes_nothing(certs):
    text = (
        HEADER
        + "P-001,ok@r.test,sales-pro,2026-01-10,\n"
        + "P-404,x@r.test,sales-pro,2026-01-10,\n"
        + "P-001,not-an-email,sales-pro,2026-01-10,\n"
        + "P-001,x@r.test,golf-pro,2026-01-10,\n"
        + "P-001,x@r.test,sales-pro,10/01/2026,\n"
        + "P-001,x@r.test,sales-pro,2026-02-30,\n"
        + "P-001,x@r.test,sales-pro,2026-03-01,2026-03-01\n"
        + "P-001,OK@r.test,sales-pro,2026-01-10,2027-01-01\n"
    )
    with pytest.raises(FileRejected) as rejected:
        certification_import_csv(tenant=certs.tenant, data=text.encode())
    assert rejected.value.lines == [
        "line 3: unknown partner_ref “P-404”",
        "line 4: email “not-an-email” is not an e-mail address",
        "line 5: unknown certification “golf-pro”",
        "line 6: earned_on “10/01/2026” is not a date written YYYY-MM-DD",
        "line 7: earned_on “2026-02-30” is not a real date",
        "line 8: expires_on must be after earned_on",
        "line 9: the same award already appears on line 2",
    ]
    assert awards(certs) == []


def test_the_command_exits_1_with_the_report(certs, tmp_path, capsys):
    path = tmp_path / "lms.csv"
    path.write_text("partner_ref,email\nP-001,x@r.test\n")
    with pytest.raises(CommandError):
        call_command("import_certifications", "--tenant", "acme", str(path))
    assert "lms.csv: line 1: missing column “certification”" in capsys.readouterr().err


def test_a_reminder_goes_out_30_days_before_expiry_once(certs, globex):
    certification_import_csv(
        tenant=certs.tenant,
        data=(
            HEADER
            + "P-001,soon@r.test,sales-pro,2025-01-01,2026-12-20\n"  # 28 days after 2026-11-22
            + "P-001,later@r.test,sales-pro,2025-01-01,2026-12-23\n"  # 31 days
            + "P-001,gone@r.test,sales-pro,2025-01-01,2026-11-22\n"  # expired today
            + "P-001,renewed@r.test,sales-pro,2025-01-01,2026-12-01\n"
            + "P-001,renewed@r.test,sales-pro,2026-11-01,2028-11-01\n"  # renewal already earned
        ).encode(),
    )
    with scope(tenant=certs.tenant):
        assert expiry_reminders_send(tenant=certs.tenant, today=D(2026, 11, 22)) == 1
        assert expiry_reminders_send(tenant=certs.tenant, today=D(2026, 11, 22)) == 0
        assert (
            expiry_reminders_send(tenant=certs.tenant, today=D(2026, 11, 23)) == 1
        )  # later@ now due
        assert expiry_reminders_send(tenant=certs.tenant, today=D(2026, 11, 24)) == 0
    assert [m.to for m in mail.outbox] == [["soon@r.test"], ["later@r.test"]]
    assert "expires on 20 December 2026" in mail.outbox[0].subject


def test_the_beat_task_fans_out_per_tenant_on_each_tenants_date(certs, globex):
    from training.tasks import send_expiry_reminders_everywhere

    for world in (certs, globex):
        today = world.tenant.local_today()
        with scope(tenant=world.tenant):
            CertificationAward.objects.create(
                tenant=world.tenant,
                partner=world.partner,
                email=f"due@{world.tenant.slug}.test",
                certification=Certification.objects.get(),
                earned_on=today - datetime.timedelta(days=300),
                expires_on=today + datetime.timedelta(days=10),
                source="import",
            )
    send_expiry_reminders_everywhere.delay()  # eager in tests: each tenant's task runs inline
    send_expiry_reminders_everywhere.delay()
    assert sorted(m.to[0] for m in mail.outbox) == ["due@acme.test", "due@globex.test"]


def test_a_header_only_feed_is_an_empty_import_not_an_error(certs, tmp_path):
    feed = tmp_path / "quiet-day.csv"
    feed.write_text(HEADER)
    out = StringIO()
    call_command("import_certifications", "--tenant", "acme", str(feed), stdout=out)
    assert out.getvalue() == (
        "Imported quiet-day.csv: 0 rows, 0 new awards, 0 updated, 0 unchanged.\n"
    )


def test_references_match_exactly_and_a_case_slip_is_named(certs):
    feed = HEADER + "p-001,a@r.test,Sales-Pro,2026-01-10,\nP-001,b@r.test,sales-pro,2027-02-30,\n"
    with pytest.raises(FileRejected) as rejected:
        certification_import_csv(tenant=certs.tenant, data=feed.encode())
    assert rejected.value.lines == [
        "line 2: unknown certification “Sales-Pro” (did you mean “sales-pro”?)",
        "line 2: unknown partner_ref “p-001” (did you mean “P-001”?)",
        "line 3: earned_on “2027-02-30” is not a real date",
    ]
