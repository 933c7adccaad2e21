"""Partner tracks: which programs a partner belongs to.

A partner may be in several programs at once (a reseller track and a services specialisation),
and each places it independently: its own placement, tier, history and benefits. Joining a
program makes an empty placement that its next evaluation fills ("placed", as for a new
partner); leaving one ends the standing there with a history entry ("left the program") and
removes the placement. Neither ever reads as a promotion or a demotion.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import events_emit

from .models import ChangeReason, PendingDemotion, PendingStatus, Placement, PlacementChange


@dataclass(frozen=True)
class TrackChanges:
    joined: int = 0
    left: int = 0


def tracks_set(*, tenant, wanted: dict[int, set[int]], on: datetime.date, by=None) -> TrackChanges:
    """Make each partner of `wanted` ({partner id: program ids}) belong to exactly those
    programs, dated `on` (the tenant's today). Partners not in `wanted` are left alone."""
    if not wanted:
        return TrackChanges()
    with transaction.atomic():
        current: dict[int, dict[int, Placement]] = {partner_id: {} for partner_id in wanted}
        tracks = Placement.objects.select_for_update(of=("self",)).select_related(
            "partner", "program", "tier"
        )
        for placement in tracks.filter(partner_id__in=wanted):
            current[placement.partner_id][placement.program_id] = placement
        joining = [
            Placement(tenant=tenant, partner_id=partner_id, program_id=program_id, joined_on=on)
            for partner_id, program_ids in wanted.items()
            for program_id in sorted(program_ids - current[partner_id].keys())
        ]
        leaving = [
            placement
            for partner_id, placements in current.items()
            for program_id, placement in placements.items()
            if program_id not in wanted[partner_id]
        ]
        Placement.objects.bulk_create(joining, batch_size=2_000)
        if leaving:
            _tracks_end(tenant, leaving, on, by)
    return TrackChanges(joined=len(joining), left=len(leaving))


def _tracks_end(tenant, placements: list[Placement], on: datetime.date, by) -> None:
    PlacementChange.objects.bulk_create(
        [
            PlacementChange(
                tenant=tenant,
                partner_id=placement.partner_id,
                program_id=placement.program_id,
                from_tier_id=placement.tier_id,
                to_tier=None,
                on=on,
                reason=ChangeReason.LEFT,
                version=placement.version or 0,
                by=by,
            )
            for placement in placements
        ],
        ignore_conflicts=True,  # left twice the same day (after rejoining): one entry is enough
    )
    tracks = Q()
    for placement in placements:
        tracks |= Q(partner_id=placement.partner_id, program_id=placement.program_id)
    PendingDemotion.objects.filter(tracks, status=PendingStatus.PENDING).update(
        status=PendingStatus.WITHDRAWN, note="The partner left the program."
    )
    Placement.objects.filter(pk__in=[placement.pk for placement in placements]).delete()
    events_emit(  # integrations hear of it as of any other change of tier
        tenant=tenant,
        type=EventType.PLACEMENT_CHANGED,
        items=[
            {
                "partner_ref": placement.partner.ref,
                "program": placement.program.key,
                "from_tier": placement.tier.key if placement.tier else None,
                "to_tier": None,
                "reason": ChangeReason.LEFT.value,
                "on": on,
                "takes_effect_on": None,
            }
            for placement in placements
        ],
    )
