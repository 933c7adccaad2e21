"""Requests for market development funds, from request to payout: the amount is reserved at
once, a manager approves (perhaps less) or rejects, the partner claims with proof, the manager
pays or sends the claim back. Every step is a ledger entry and tells the other side."""

import datetime
import re
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django_scopes import scope

from incentives.fund_flow import StepRefused
from incentives.fund_selectors import fund_report, mdf_funds
from incentives.fund_services import (
    FundsRefused,
    fund_claim_approve,
    fund_claim_send_back,
    fund_request_approve,
    fund_request_reject,
    fund_request_withdraw,
    mdf_expire,
)
from incentives.models import ClaimDocument, FundEntry, FundRequest
from tiers.models import Notice

from .conftest import TODAY, D, claim, proof, step, submit

M = Decimal


def funds(world, today=TODAY):
    with scope(tenant=world.tenant):
        return mdf_funds(partner_id=world.partner.pk, today=today)


def ledger(world, fund_request=None) -> list[tuple]:
    with scope(tenant=world.tenant):
        entries = FundEntry.objects.exclude(kind="allocation").order_by("pk")
        if fund_request is not None:
            entries = entries.filter(request=fund_request)
        return [(e.kind, e.quarter, e.amount) for e in entries]


# --- the balance ---------------------------------------------------------------------------


def test_a_request_reserves_its_amount_at_once_from_the_allocation_that_expires_first(funded):
    fund_request = submit(funded, "12000.00")
    assert fund_request.status == "submitted"
    assert ledger(funded) == [
        ("reservation", "2026-Q3", M("10000.00")),
        ("reservation", "2026-Q4", M("2000.00")),
    ]
    balance = funds(funded)
    assert (balance.available, balance.reserved) == (M("8000.00"), M("12000.00"))


def test_a_request_above_the_available_balance_is_refused_and_writes_nothing(funded):
    submit(funded, "15000.00")
    with pytest.raises(
        FundsRefused, match=re.escape("€5,000.01 is more than the €5,000.00 available")
    ):
        submit(funded, "5000.01")
    with scope(tenant=funded.tenant):
        assert FundRequest.objects.count() == 1
    assert funds(funded).available == M("5000.00")


@pytest.mark.parametrize(
    ("amount", "dates", "message"),
    [
        ("0.00", {}, "The amount must be more than 0."),
        ("10.005", {}, "The amount has more than two decimals: 10.005."),
        ("100.00", {"ends_on": D(2026, 11, 23), "starts_on": D(2026, 11, 20)}, "ended on"),
        ("100.00", {"starts_on": D(2026, 12, 2), "ends_on": D(2026, 12, 1)}, "ends before"),
    ],
)
def test_a_request_with_a_bad_amount_or_dates_says_what_is_wrong(funded, amount, dates, message):
    with pytest.raises(FundsRefused, match=message):
        submit(funded, amount, **dates)


def test_only_the_partners_own_users_request_funds(funded):
    with pytest.raises(StepRefused, match="requested by the partner's own users"):
        submit(funded, "100.00", membership=funded.manager)


def test_the_balance_is_allocations_less_reservations_approvals_and_expiry(funded):
    approved = submit(funded, "4000.00", title="Webinar series")
    step(
        funded, fund_request_approve, approved, amount=M("3000.00"), note="Two webinars, not three."
    )
    submit(funded, "2500.00", title="Trade show")  # waiting
    balance = funds(funded)
    assert balance.available == M("20000.00") - M("2500.00") - M("3000.00")
    assert (balance.reserved, balance.committed) == (M("2500.00"), M("3000.00"))
    # 2026-Q3's 10,000 ends on 31 December; what requests hold of it stays with them
    new_year = datetime.datetime(2027, 1, 1, 9, tzinfo=datetime.UTC)
    with scope(tenant=funded.tenant):
        lines = {
            line.quarter: line
            for line in mdf_funds(partner_id=funded.partner.pk, today=new_year.date()).history
        }
    assert lines["2026-Q3"].available == M("4500.00")  # not yet written off, but not usable
    assert funds(funded, today=new_year.date()).available == M("10000.00")


# --- two requests at the same moment -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_requests_at_the_same_moment_never_together_overdraw_the_balance(funded):
    """Eight partner users' requests of 3,000 against 20,000, in eight real transactions
    released at once: six are reserved, two refused, and the balance never goes below 0."""
    attempts = 8
    start = threading.Barrier(attempts)
    outcomes: list[str] = []

    def request_funds(number: int) -> None:
        try:
            start.wait()
            submit(funded, "3000.00", title=f"Campaign {number}")
            outcomes.append("reserved")
        except FundsRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request_funds, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 2 + ["reserved"] * 6
    balance = funds(funded)
    assert (balance.reserved, balance.available) == (M("18000.00"), M("2000.00"))


# --- decisions -----------------------------------------------------------------------------


def test_approving_less_returns_the_difference_and_needs_a_reason(funded):
    fund_request = submit(funded, "12000.00")
    with pytest.raises(FundsRefused, match="Say why less than the requested amount"):
        step(funded, fund_request_approve, fund_request, amount=M("9000.00"))
    with pytest.raises(FundsRefused, match=re.escape("more than the €12,000.00 requested")):
        step(funded, fund_request_approve, fund_request, amount=M("12000.01"))
    step(funded, fund_request_approve, fund_request, amount=M("9000.00"), note="No catering.")
    assert fund_request.status == "approved"
    assert fund_request.amount_approved == M("9000.00")
    assert ledger(funded)[2:] == [
        ("release", "2026-Q3", M("10000.00")),
        ("release", "2026-Q4", M("2000.00")),
        ("approval", "2026-Q3", M("9000.00")),
    ]
    assert funds(funded).available == M("11000.00")


def test_a_rejection_needs_a_reason_and_gives_the_reservation_back(funded):
    fund_request = submit(funded, "5000.00")
    with pytest.raises(FundsRefused, match="reason"):
        step(funded, fund_request_reject, fund_request, reason="  ")
    step(funded, fund_request_reject, fund_request, reason="Outside the program's regions.")
    assert (fund_request.status, fund_request.decision_note) == (
        "rejected",
        "Outside the program's regions.",
    )
    assert funds(funded).available == M("20000.00")
    with pytest.raises(StepRefused, match="This request is rejected: it cannot be approved"):
        step(funded, fund_request_approve, fund_request, amount=M("5000.00"))


def test_wrong_transitions_and_wrong_people_are_refused_and_change_nothing(funded):
    fund_request = submit(funded, "1000.00")
    with pytest.raises(StepRefused, match="cannot be claimed"):
        claim(funded, fund_request, "900.00")
    with pytest.raises(StepRefused, match="cannot be paid"):
        step(funded, fund_claim_approve, fund_request, amount=M("1.00"))
    with pytest.raises(StepRefused, match="Only the program's managers and admins decide"):
        step(
            funded,
            fund_request_approve,
            fund_request,
            membership=funded.partner_user,
            amount=M("1000.00"),
        )
    with pytest.raises(StepRefused, match="Only the partner's own users"):
        step(funded, fund_request_withdraw, fund_request, membership=funded.manager)
    assert ledger(funded) == [("reservation", "2026-Q3", M("1000.00"))]
    with scope(tenant=funded.tenant):
        assert FundRequest.objects.get().status == "submitted"
    assert not _stored_claim_files(funded)


def test_a_partner_withdraws_an_approved_request_and_the_funds_come_back(funded):
    fund_request = submit(funded, "3000.00")
    step(funded, fund_request_approve, fund_request, amount=M("3000.00"))
    step(funded, fund_request_withdraw, fund_request, membership=funded.partner_user)
    assert fund_request.status == "withdrawn"
    assert ledger(funded, fund_request)[-1] == ("unspent", "2026-Q3", M("3000.00"))
    assert funds(funded).available == M("20000.00")


# --- claims and payouts --------------------------------------------------------------------


def test_a_claim_pays_the_actual_cost_up_to_the_approved_amount(funded):
    fund_request = submit(funded, "12000.00")
    step(funded, fund_request_approve, fund_request, amount=M("12000.00"))
    filed = claim(funded, fund_request, "11250.40")
    assert filed.amount_claimed == M("11250.40")
    with scope(tenant=funded.tenant):
        documents = list(ClaimDocument.objects.filter(claim=filed))
        assert [d.file_name for d in documents] == ["invoice.pdf", "stand.jpg"]
        assert all(default_storage.exists(d.stored_file) for d in documents)
    with pytest.raises(FundsRefused, match=re.escape("more than the €11,250.40 claimed")):
        step(funded, fund_claim_approve, fund_request, amount=M("11250.41"))
    step(funded, fund_claim_approve, fund_request, amount=M("11250.40"))
    assert (fund_request.status, fund_request.amount_paid) == ("paid", M("11250.40"))
    assert ledger(funded, fund_request)[-5:] == [
        ("claim", "2026-Q3", M("10000.00")),
        ("claim", "2026-Q4", M("1250.40")),
        ("payout", "2026-Q3", M("10000.00")),
        ("payout", "2026-Q4", M("1250.40")),
        ("unspent", "2026-Q4", M("749.60")),
    ]
    assert funds(funded).available == M("20000.00") - M("11250.40")


def test_a_claim_above_the_approved_amount_claims_the_approved_amount(funded):
    fund_request = submit(funded, "2000.00")
    step(funded, fund_request_approve, fund_request, amount=M("2000.00"))
    assert claim(funded, fund_request, "2600.00").amount_claimed == M("2000.00")


def test_a_claim_sent_back_keeps_the_funds_and_can_be_filed_again(funded):
    fund_request = submit(funded, "2000.00")
    step(funded, fund_request_approve, fund_request, amount=M("2000.00"))
    claim(funded, fund_request, "1800.00")
    with pytest.raises(FundsRefused, match="Say what the claim is missing"):
        step(funded, fund_claim_send_back, fund_request, reason="")
    step(funded, fund_claim_send_back, fund_request, reason="The invoice is not itemised.")
    assert fund_request.status == "sent_back"
    assert funds(funded).committed == M("2000.00")
    claim(funded, fund_request, "1800.00", files=[proof("itemised.pdf")])
    step(funded, fund_claim_approve, fund_request, amount=M("1800.00"))
    with scope(tenant=funded.tenant):
        outcomes = list(fund_request.claims.order_by("pk").values_list("outcome", "decision_note"))
    assert outcomes == [("sent_back", "The invoice is not itemised."), ("approved", "")]
    assert funds(funded).available == M("18200.00")


def test_a_claim_waits_for_the_end_of_the_activity(funded):
    fund_request = submit(funded, "2000.00", ends_on=D(2026, 12, 5))
    step(funded, fund_request_approve, fund_request, amount=M("2000.00"))
    with pytest.raises(
        FundsRefused, match="The activity ends on 2026-12-05; claim once it is over"
    ):
        claim(funded, fund_request, "1500.00")
    with scope(tenant=funded.tenant):
        assert ClaimDocument.objects.count() == 0
        assert not _stored_claim_files(funded)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Attach proof of performance"),
        ([proof("macro.exe")], r"macro.exe: proof is accepted as pdf, png"),
        ([proof("huge.pdf", size=10_000_001)], r"huge.pdf is 10.0 MB; files up to 10 MB"),
        ([proof(f"{n}.pdf") for n in range(11)], "at most 10 files"),
    ],
)
def test_proof_of_performance_is_checked_before_anything_is_kept(funded, files, message):
    fund_request = submit(funded, "2000.00")
    step(funded, fund_request_approve, fund_request, amount=M("2000.00"))
    with pytest.raises(FundsRefused, match=message):
        claim(funded, fund_request, "1500.00", files=files)
    assert not _stored_claim_files(funded)
    with scope(tenant=funded.tenant):
        assert FundRequest.objects.get().status == "approved"


def _stored_claim_files(world) -> list[str]:
    folder = f"fund-claims/{world.tenant.pk}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


# --- telling the other side ----------------------------------------------------------------


def test_every_step_tells_the_other_side_in_the_app_and_by_email(
    funded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fund_request = submit(funded, "2000.00")
        step(funded, fund_request_approve, fund_request, amount=M("1500.00"), note="Smaller.")
        claim(funded, fund_request, "1400.00")
        step(funded, fund_claim_approve, fund_request, amount=M("1400.00"))
    with scope(tenant=funded.tenant):
        notices = [
            (n.user.email, n.text) for n in Notice.objects.select_related("user").order_by("pk")
        ]
    assert notices == [
        ("manager@acme.test", "Acme P-001 requests €2,000.00 for “Roadshow”."),
        ("partner@acme.test", "“Roadshow” is approved: €1,500.00."),
        (
            "manager@acme.test",
            "Acme P-001 claims €1,400.00 for “Roadshow” (actual cost €1,400.00).",
        ),
        ("partner@acme.test", "Your claim for “Roadshow” is approved: €1,400.00 will be paid."),
    ]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([email], f"Acme: {text}") for email, text in notices
    ]


# --- expiry --------------------------------------------------------------------------------


def test_what_is_left_expires_at_the_end_of_the_next_quarter_and_only_that(funded, time_machine):
    submit(funded, "4000.00")  # held by a request: it does not expire
    time_machine.move_to(datetime.datetime(2027, 1, 1, 9, tzinfo=datetime.UTC))
    with scope(tenant=funded.tenant):
        assert mdf_expire(tenant=funded.tenant) == 1
        assert mdf_expire(tenant=funded.tenant) == 0, "written off once"
    assert ledger(funded)[-1] == ("expiry", "2026-Q3", M("6000.00"))
    assert funds(funded, today=D(2027, 1, 1)).available == M("10000.00")


def test_funds_given_back_to_an_expired_allocation_are_written_off(funded, time_machine):
    fund_request = submit(funded, "4000.00")
    time_machine.move_to(datetime.datetime(2027, 1, 4, 9, tzinfo=datetime.UTC))
    step(funded, fund_request_approve, fund_request, amount=M("2500.00"), note="Half the booth.")
    assert ledger(funded)[-3:] == [
        ("release", "2026-Q3", M("4000.00")),
        ("approval", "2026-Q3", M("2500.00")),
        ("expiry", "2026-Q3", M("7500.00")),  # the 6,000 left and the 1,500 not approved
    ]
    assert funds(funded, today=D(2027, 1, 4)).available == M("10000.00")


# --- the ledger and the report -------------------------------------------------------------


def test_fund_entries_are_never_changed_or_deleted(funded):
    submit(funded, "1000.00")
    with scope(tenant=funded.tenant):
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            FundEntry.objects.filter(kind="reservation").update(amount=M("1.00"))
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            FundEntry.objects.filter(kind="reservation").delete()


def test_the_report_shows_each_quarter_and_tier_from_allocation_to_payout(funded, globex):
    paid = submit(funded, "12000.00")
    step(funded, fund_request_approve, paid, amount=M("11000.00"), note="Less travel.")
    claim(funded, paid, "10500.00")
    step(funded, fund_claim_approve, paid, amount=M("10500.00"))
    submit(funded, "1000.00", title="Waiting")
    with scope(tenant=funded.tenant):
        rows = [
            (r.quarter, r.tier, r.allocated, r.requested, r.approved, r.claimed, r.paid, r.expired)
            for r in fund_report()
        ]
    assert rows == [
        (
            "2026-Q4",
            "Gold",
            M("10000.00"),
            M("3000.00"),
            M("500.00"),
            M("500.00"),
            M("500.00"),
            M("0"),
        ),
        (
            "2026-Q3",
            "Gold",
            M("10000.00"),
            M("10000.00"),
            M("10000.00"),
            M("10000.00"),
            M("10000.00"),
            M("0"),
        ),
    ]
    with scope(tenant=globex.tenant):
        assert fund_report() == []


def test_a_long_notice_gets_a_short_subject_and_a_link_in_the_body(
    funded, django_capture_on_commit_callbacks
):
    fund_request = submit(funded, "2000.00")
    reason = "The venue is outside the regions this program co-funds; please pick another city."
    with django_capture_on_commit_callbacks(execute=True):
        step(funded, fund_request_reject, fund_request, reason=reason)
    [message] = mail.outbox
    assert len(message.subject) <= len("Acme: ") + 70 and message.subject.endswith("…")
    assert reason in message.body
    assert f"/o/acme/funds/requests/{fund_request.pk}/" in message.body
