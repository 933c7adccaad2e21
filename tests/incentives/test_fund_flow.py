"""The rules of a fund request without a database: which step leads where, and how money is
drawn from allocations."""

from decimal import Decimal

import pytest

from incentives.fund_flow import (
    Part,
    Side,
    Step,
    StepRefused,
    draw,
    next_status,
    remainder,
    steps_open,
)

M = Decimal


def test_a_request_goes_from_submitted_through_approval_and_claim_to_paid():
    status = "submitted"
    for step in (Step.APPROVE, Step.FILE_CLAIM, Step.SEND_BACK_CLAIM, Step.FILE_CLAIM):
        status = next_status(status, step)
    assert next_status(status, Step.APPROVE_CLAIM) == "paid"


@pytest.mark.parametrize(
    ("status", "step", "message"),
    [
        (
            "rejected",
            Step.APPROVE,
            "This request is rejected: it cannot be approved; it is closed.",
        ),
        (
            "submitted",
            Step.FILE_CLAIM,
            "This request is awaiting approval: it cannot be claimed; it can be approved or "
            "rejected or withdrawn.",
        ),
        ("approved", Step.APPROVE_CLAIM, "it cannot be paid; it can be claimed or withdrawn."),
        ("paid", Step.WITHDRAW, "This request is paid: it cannot be withdrawn; it is closed."),
        ("claimed", Step.WITHDRAW, "it cannot be withdrawn; it can be paid or sent back."),
    ],
)
def test_a_wrong_transition_is_refused_with_what_the_request_allows(status, step, message):
    with pytest.raises(StepRefused, match=message.replace("(", r"\(")):
        next_status(status, step)


def test_each_side_is_offered_only_its_own_steps():
    assert steps_open("submitted", Side.VENDOR) == [Step.APPROVE, Step.REJECT]
    assert steps_open("submitted", Side.PARTNER) == [Step.WITHDRAW]
    assert steps_open("claimed", Side.PARTNER) == []
    assert steps_open("paid", Side.VENDOR) == []


def test_an_amount_is_drawn_from_the_oldest_allocation_first():
    parts = [Part("2026-Q3", 1, M("3000.00")), Part("2026-Q4", 2, M("10000.00"))]
    assert draw(parts, M("4500.00")) == [
        Part("2026-Q3", 1, M("3000.00")),
        Part("2026-Q4", 2, M("1500.00")),
    ]
    assert draw(parts, M("2000.00")) == [Part("2026-Q3", 1, M("2000.00"))]
    with pytest.raises(ValueError):
        draw(parts, M("13000.01"))


def test_what_is_left_after_a_draw_stays_with_its_allocation():
    parts = [Part("2026-Q3", 1, M("3000.00")), Part("2026-Q4", 2, M("1500.00"))]
    paid = draw(parts, M("3200.00"))
    assert remainder(parts, paid) == [Part("2026-Q4", 2, M("1300.00"))]
    assert remainder(parts, []) == parts
