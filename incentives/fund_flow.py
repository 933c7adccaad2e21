"""The rules of a fund request, without a database: who may take which step from which status,
and how an amount is drawn from a partner's allocations (the oldest first, as it expires first).
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .models import FundRequestStatus as Status


class Step(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    FILE_CLAIM = "file_claim"
    APPROVE_CLAIM = "approve_claim"
    SEND_BACK_CLAIM = "send_back_claim"


class Side(StrEnum):
    PARTNER = "partner"  # the partner's own users
    VENDOR = "vendor"  # the tenant's managers and admins


STEP_SIDE = {
    Step.APPROVE: Side.VENDOR,
    Step.REJECT: Side.VENDOR,
    Step.WITHDRAW: Side.PARTNER,
    Step.FILE_CLAIM: Side.PARTNER,
    Step.APPROVE_CLAIM: Side.VENDOR,
    Step.SEND_BACK_CLAIM: Side.VENDOR,
}

TRANSITIONS: dict[tuple[Status, Step], Status] = {
    (Status.SUBMITTED, Step.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Step.REJECT): Status.REJECTED,
    (Status.SUBMITTED, Step.WITHDRAW): Status.WITHDRAWN,
    (Status.APPROVED, Step.FILE_CLAIM): Status.CLAIMED,
    (Status.APPROVED, Step.WITHDRAW): Status.WITHDRAWN,
    (Status.CLAIMED, Step.APPROVE_CLAIM): Status.PAID,
    (Status.CLAIMED, Step.SEND_BACK_CLAIM): Status.SENT_BACK,
    (Status.SENT_BACK, Step.FILE_CLAIM): Status.CLAIMED,
    (Status.SENT_BACK, Step.WITHDRAW): Status.WITHDRAWN,
}

STEP_WORDS = {
    Step.APPROVE: "approved",
    Step.REJECT: "rejected",
    Step.WITHDRAW: "withdrawn",
    Step.FILE_CLAIM: "claimed",
    Step.APPROVE_CLAIM: "paid",
    Step.SEND_BACK_CLAIM: "sent back",
}


class StepRefused(Exception):
    """A step the request's status, or the person, does not allow; the message says why."""


def next_status(status: str, step: Step) -> Status:
    """The status `step` leads to from `status`, or StepRefused naming both."""
    found = TRANSITIONS.get((Status(status), step))
    if found is None:
        allowed = [STEP_WORDS[s] for (at, s) in TRANSITIONS if at == status]
        hint = f"; it can be {' or '.join(allowed)}" if allowed else "; it is closed"
        raise StepRefused(
            f"This request is {Status(status).label.lower()}: it cannot be "
            f"{STEP_WORDS[step]}{hint}."
        )
    return found


def steps_open(status: str, side: Side) -> list[Step]:
    """The steps `side` can take on a request in `status` (what the page offers)."""
    return [step for (at, step) in TRANSITIONS if at == status and STEP_SIDE[step] == side]


@dataclass(frozen=True)
class Part:
    """Money from one allocation: its quarter and the tier it came from."""

    quarter: str
    tier_id: int | None
    amount: Decimal


def draw(parts: list[Part], amount: Decimal) -> list[Part]:
    """Take `amount` from `parts` in order (each at most its own amount); ValueError when they
    hold less."""
    taken = []
    left = amount
    for part in parts:
        if left <= 0:
            break
        take = min(part.amount, left)
        if take > 0:
            taken.append(Part(part.quarter, part.tier_id, take))
            left -= take
    if left > 0:
        raise ValueError(f"{amount} is more than the {sum(p.amount for p in parts)} held")
    return taken


def remainder(parts: list[Part], taken: list[Part]) -> list[Part]:
    """What is left of `parts` once `taken` (drawn from them) is taken out."""
    used: dict[str, Decimal] = {}
    for part in taken:
        used[part.quarter] = used.get(part.quarter, Decimal(0)) + part.amount
    left = []
    for part in parts:
        take = min(part.amount, used.get(part.quarter, Decimal(0)))
        used[part.quarter] = used.get(part.quarter, Decimal(0)) - take
        if part.amount - take > 0:
            left.append(Part(part.quarter, part.tier_id, part.amount - take))
    return left
