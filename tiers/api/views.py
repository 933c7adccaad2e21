"""Tiers over the API: placements with their explanation, history, programs in the program
file format (with the same checks and versioning as load_program), the what-if preview,
overrides and recalculation runs."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from partnerhub.api.errors import Problem
from partnerhub.api.pagination import ByIdCursor
from partnerhub.api.schema import PROBLEM_RESPONSES
from partnerhub.api.views import FilteredList
from partnerhub.queue import QueueUnavailable
from partners.models import Partner
from tiers.engine import (
    CertificationCondition,
    PartnerCondition,
    PointsCondition,
    PointsWhen,
    conditions_of,
    parse_rule,
    rule_to_json,
)
from tiers.models import CriteriaVersion, Placement, PlacementChange, Program, RecalculationRun
from tiers.program_file import ProgramFileError, program_file_check
from tiers.programs import program_export, program_load, tenant_keys
from tiers.services import (
    NoOverride,
    RecalculationRefused,
    placement_override,
    placement_override_clear,
    placements_recalculate,
    recalculation_queue,
)

from ..selectors import NoSuchTrack, TrackNotNamed, partner_track
from .serializers import (
    HistoryFilterSerializer,
    OverrideSerializer,
    PlacementChangeSerializer,
    PlacementDetailSerializer,
    PlacementFilterSerializer,
    PlacementSerializer,
    PreviewSerializer,
    ProgramResultSerializer,
    RunSerializer,
    RunStartSerializer,
    TierExplanationSerializer,
    TrackSerializer,
)


def _placements():
    return Placement.objects.select_related(
        "partner", "program", "tier", "qualified_tier", "override_tier"
    )


def _partner(ref: str) -> Partner:
    partner = Partner.objects.filter(ref=ref).first()
    if partner is None:
        raise Problem(f"No partner has the ref “{ref}”.", code="not_found", status_code=404)
    return partner


def _track_named(data) -> str | None:
    incoming = TrackSerializer(data={"program": data["program"]} if "program" in data else {})
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data.get("program")


def _track(partner: Partner, program_key: str | None) -> Placement:
    """The partner's placement in the program named (or its only one), or a problem naming
    the programs it is in."""
    try:
        found = partner_track(partner, program_key)
    except TrackNotNamed as error:
        raise Problem(str(error), [{"path": "program", "detail": str(error)}]) from None
    except NoSuchTrack as error:
        raise Problem(str(error), code="not_found", status_code=404) from None
    found.partner = partner  # partner_track read the rest of what a placement shows
    return found


def _program(key: str) -> Program:
    program = Program.objects.filter(key=key).first()
    if program is None:
        raise Problem(f"No program has the key “{key}”.", code="not_found", status_code=404)
    return program


@extend_schema(
    parameters=[PlacementFilterSerializer],
    responses={200: PlacementSerializer, **PROBLEM_RESPONSES},
)
class PlacementList(FilteredList):
    """Every partner's placement: tier, qualified tier, at-risk date and grace end, override."""

    serializer_class = PlacementSerializer
    pagination_class = ByIdCursor
    filter_serializer = PlacementFilterSerializer
    lookups = {"program": "program__key", "tier": "tier__key"}

    def rows(self):
        return _placements()

    def filtered(self, query, wanted):
        query = super().filtered(query, wanted)
        if "at_risk" in wanted:
            query = query.filter(at_risk_since__isnull=not wanted["at_risk"])
        return query


class PlacementDetail(APIView):
    @extend_schema(
        parameters=[TrackSerializer],
        responses={200: PlacementDetailSerializer, **PROBLEM_RESPONSES},
    )
    def get(self, request, ref: str):
        """One partner's placement and why: each tier's conditions, with value, target and
        whether it held, as the evaluation that placed it read them."""
        placement = _track(_partner(ref), _track_named(request.query_params))
        data = PlacementSerializer(placement).data
        data["explanation"] = TierExplanationSerializer(_explanation(placement), many=True).data
        return Response(data)


def _explanation(placement: Placement) -> list[dict]:
    explained = placement.explanation.get("tiers", {})
    version = CriteriaVersion.objects.filter(
        program_id=placement.program_id, number=placement.explanation.get("version")
    ).first()
    rules = {t["key"]: t.get("rule") for t in version.snapshot["tiers"]} if version else {}
    found = []
    for key, (held, values) in explained.items():
        conditions = []
        for condition, stored in zip(
            conditions_of(parse_rule(rules.get(key))), values, strict=False
        ):
            value, condition_held = stored[0], stored[1]
            line: dict
            if isinstance(condition, CertificationCondition):
                named = condition.certification
                line = {
                    "certifications" if isinstance(named, tuple) else "certification": named,
                    "op": ">=",
                    "target": condition.min,
                }
            elif isinstance(condition, PartnerCondition):
                line = {
                    "partner": condition.attribute,
                    "values": list(condition.values),
                    "op": "in",
                    "target": None,
                }
            elif isinstance(condition, PointsCondition):
                parts = stored[2] if len(stored) > 2 else []
                line = {
                    "points": _points_parts(condition, parts),
                    "op": condition.op,
                    "target": condition.value,
                }
            else:
                line = {
                    "metric": condition.metric,
                    "aggregate": condition.agg,
                    **_window(condition.window),
                    "op": condition.op,
                    "target": condition.value,
                }
                if condition.min_months is not None:
                    line["min_months"] = condition.min_months
            conditions.append(line | {"value": value, "held": condition_held})
        found.append({"tier": key, "held": held, "conditions": conditions})
    return found


def _window(window) -> dict:
    """A number of months as before (`window_months`); a fiscal window by name (`window`)."""
    return {"window_months": window} if isinstance(window, int) else {"window": window}


def _points_parts(condition: PointsCondition, stored: list) -> list[dict]:
    found = []
    for part, (points, value, held) in zip(condition.parts, stored, strict=False):
        if isinstance(part, PointsWhen):
            shape = {"rule": rule_to_json(part.rule), "add": part.add}
        else:
            shape = {
                "metric": part.metric,
                "aggregate": part.agg,
                "window": str(part.window),
                "per": part.per,
                "add": part.add,
                "max": part.max,
            }
        found.append(shape | {"points": points, "value": value, "held": held})
    return found


@extend_schema(
    parameters=[HistoryFilterSerializer],
    responses={200: PlacementChangeSerializer, **PROBLEM_RESPONSES},
)
class PlacementHistory(FilteredList):
    """Every tier change, oldest first; `since` for an incremental sync."""

    serializer_class = PlacementChangeSerializer
    pagination_class = ByIdCursor
    filter_serializer = HistoryFilterSerializer
    lookups = {"since": "on__gte", "partner_ref": "partner__ref"}

    def rows(self):
        return PlacementChange.objects.select_related("partner", "program", "from_tier", "to_tier")


class ProgramDetail(APIView):
    @extend_schema(responses={200: ProgramResultSerializer, **PROBLEM_RESPONSES})
    def get(self, request, key: str):
        """The program in the program file format (what load_program reads)."""
        program = _program(key)
        return Response(
            {
                "program": program_export(program),
                "version": program.version,
                "changed": False,
                "warnings": [],
            }
        )

    @extend_schema(request=dict, responses={200: ProgramResultSerializer, **PROBLEM_RESPONSES})
    def put(self, request, key: str):
        """Replace the program with a program file (write scope): checked whole, like
        load_program; a change of criteria makes a new version. Nothing is written on error."""
        data = request.data
        if not isinstance(data, dict) or data.get("key") != key:
            raise Problem(
                f"key: the file's key must be “{key}”, the program in the URL.",
                [{"path": "key", "detail": f"must be “{key}”"}],
            )
        try:
            with transaction.atomic():
                program, changed, warnings = program_load(tenant=request.tenant, data=data)
        except ProgramFileError as wrong:
            raise Problem(
                f"The program file is not valid: {wrong}", [{"path": "", "detail": str(wrong)}]
            ) from None
        return Response(
            {
                "program": program_export(program),
                "version": program.version,
                "changed": changed,
                "warnings": warnings,
            }
        )


class ProgramPreview(APIView):
    @extend_schema(
        request=dict,
        parameters=[RunStartSerializer],
        responses={200: PreviewSerializer, **PROBLEM_RESPONSES},
    )
    def post(self, request, key: str):
        """What a recalculation would move, saving nothing: with a program file in the body,
        under its rules (checked as PUT checks them); with an empty body, under today's. A read
        key may ask. `as_of` (query) defaults to today."""
        program = _program(key)
        when = RunStartSerializer(data=request.query_params)
        when.is_valid(raise_exception=True)
        as_of = when.validated_data.get("as_of") or request.tenant.local_today()
        proposed = None
        if request.data:
            if not isinstance(request.data, dict) or request.data.get("key") != key:
                raise Problem(
                    f"key: the file's key must be “{key}”, the program in the URL.",
                    [{"path": "key", "detail": f"must be “{key}”"}],
                )
            try:
                program_file_check(request.data, tenant_keys(today=request.tenant.local_today()))
            except ProgramFileError as wrong:
                raise Problem(
                    f"The program file is not valid: {wrong}", [{"path": "", "detail": str(wrong)}]
                ) from None
            proposed = {tier["key"]: tier.get("rule") for tier in request.data["tiers"]}
        summary = placements_recalculate(
            program=program, as_of=as_of, dry_run=True, proposed=proposed
        )
        moves = [
            {
                "partner_ref": change.partner_ref,
                "from_tier": change.from_tier,
                "to_tier": change.to_tier,
                "reason": change.reason,
            }
            for change in summary.changes
        ]
        counts = {name: getattr(summary, name) for name in summary.COUNTS}
        return Response({"as_of": as_of, "counts": counts, "moves": moves})

    def check_permissions(self, request):
        # a preview writes nothing: a read key may ask for one
        if getattr(request, "auth", None) is not None:
            return
        super().check_permissions(request)


class PartnerOverride(APIView):
    @extend_schema(
        request=OverrideSerializer, responses={200: PlacementSerializer, **PROBLEM_RESPONSES}
    )
    def put(self, request, ref: str):
        """Hold the partner at a tier until a date (write scope)."""
        partner = _partner(ref)
        incoming = OverrideSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = incoming.validated_data
        placement = _track(partner, wanted.get("program"))
        tier = placement.program.tiers.filter(key=wanted["tier"]).first()
        if tier is None:
            raise Problem(
                f"tier: {placement.program.name} has no tier “{wanted['tier']}”.",
                [{"path": "tier", "detail": "unknown tier"}],
            )
        try:
            with transaction.atomic():
                placement_override(
                    partner=partner,
                    tier=tier,
                    until=wanted["until"],
                    reason=wanted["reason"],
                    by=None,
                    today=request.tenant.local_today(),
                )
        except ValueError as refused:
            raise Problem(str(refused)) from None
        return Response(PlacementSerializer(_placements().get(pk=placement.pk)).data)

    @extend_schema(
        parameters=[TrackSerializer], responses={200: PlacementSerializer, **PROBLEM_RESPONSES}
    )
    def delete(self, request, ref: str):
        """Take back an override set by mistake (write scope)."""
        partner = _partner(ref)
        placement = _track(partner, _track_named(request.query_params))
        try:
            with transaction.atomic():
                placement_override_clear(
                    partner=partner, program=placement.program, today=request.tenant.local_today()
                )
        except NoOverride as none:
            raise Problem(str(none), status_code=409, code="conflict") from None
        return Response(PlacementSerializer(_placements().get(pk=placement.pk)).data)


class RunList(APIView):
    @extend_schema(request=RunStartSerializer, responses={202: RunSerializer, **PROBLEM_RESPONSES})
    def post(self, request, key: str):
        """Start a recalculation of the program (write scope); poll the run for its status."""
        program = _program(key)
        incoming = RunStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        as_of = incoming.validated_data.get("as_of") or request.tenant.local_today()
        if as_of > request.tenant.local_today():
            raise Problem(
                "as_of: a run cannot be ahead of today.",
                [{"path": "as_of", "detail": "after today"}],
            )
        try:
            run = recalculation_queue(program=program, as_of=as_of)
        except (QueueUnavailable, RecalculationRefused) as refused:
            raise Problem(str(refused), status_code=409, code="conflict") from None
        run = RecalculationRun.objects.select_related("program").get(pk=run.pk)
        return Response(RunSerializer(run).data, status=202)


class RunDetail(APIView):
    @extend_schema(responses={200: RunSerializer, **PROBLEM_RESPONSES})
    def get(self, request, key: str, run_id: int):
        run = (
            RecalculationRun.objects.select_related("program")
            .filter(pk=run_id, program__key=key)
            .first()
        )
        if run is None:
            raise Problem("No such run.", code="not_found", status_code=404)
        return Response(RunSerializer(run).data)
