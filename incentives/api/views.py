"""Incentives over the API: the rebate ledger and a quarter's totals for finance; fund
requests and claims, read and decided (write scope) through the same state machine."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from incentives import fund_services
from incentives.fund_flow import Step, StepRefused
from incentives.models import FundClaim, FundRequest, RebateEntry
from incentives.quarters import Quarter
from incentives.selectors import rebate_totals_by_tier
from partnerhub.api.errors import Problem
from partnerhub.api.pagination import ByIdCursor, StableCursor
from partnerhub.api.schema import PROBLEM_RESPONSES
from partnerhub.api.views import FilteredList
from partnerhub.tenancy.models import Membership

from .serializers import (
    DecisionSerializer,
    FundRequestFilterSerializer,
    FundRequestSerializer,
    QuarterSerializer,
    RebateEntrySerializer,
    RebateFilterSerializer,
    TierTotalSerializer,
)


@extend_schema(
    parameters=[RebateFilterSerializer], responses={200: RebateEntrySerializer, **PROBLEM_RESPONSES}
)
class RebateLedger(FilteredList):
    """Every rebate ledger entry (accrual, adjustment, payout), in the order written."""

    serializer_class = RebateEntrySerializer
    pagination_class = ByIdCursor
    filter_serializer = RebateFilterSerializer
    lookups = {"quarter": "quarter", "partner_ref": "partner__ref"}

    def rows(self):
        return RebateEntry.objects.select_related("partner", "metric", "tier")


class RebateTotals(APIView):
    @extend_schema(
        parameters=[QuarterSerializer],
        responses={200: TierTotalSerializer(many=True), **PROBLEM_RESPONSES},
    )
    def get(self, request):
        """A quarter's rebates per tier: partners, base, accrued, paid, owed."""
        wanted = QuarterSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        totals = rebate_totals_by_tier(quarter=Quarter.parse(wanted.validated_data["quarter"]))
        return Response(TierTotalSerializer(totals, many=True).data)


def _fund_requests():
    claims = FundClaim.objects.prefetch_related("documents").order_by("filed_at", "pk")
    return FundRequest.objects.select_related("partner").prefetch_related(
        Prefetch("claims", queryset=claims)
    )


@extend_schema(
    parameters=[FundRequestFilterSerializer],
    responses={200: FundRequestSerializer, **PROBLEM_RESPONSES},
)
class FundRequestList(FilteredList):
    """Market development fund requests with their claims, oldest change first."""

    serializer_class = FundRequestSerializer
    pagination_class = StableCursor
    filter_serializer = FundRequestFilterSerializer
    lookups = {
        "status": "status",
        "partner_ref": "partner__ref",
        "updated_since": "updated_at__gte",
    }

    def rows(self):
        return _fund_requests()


class FundRequestDecision(APIView):
    @extend_schema(
        request=DecisionSerializer, responses={200: FundRequestSerializer, **PROBLEM_RESPONSES}
    )
    def post(self, request, request_id: int):
        """Approve (perhaps less, with a note) or reject a request; pay or send back its claim
        (write scope). The decision is the key's maker's, an admin of the program."""
        fund_request = _fund_requests().filter(pk=request_id).first()
        if fund_request is None:
            raise Problem("No such request.", code="not_found", status_code=404)
        incoming = DecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        decision = incoming.validated_data
        membership = Membership.objects.filter(user_id=request.auth.created_by_id).first()
        if membership is None or not membership.works_with_partners:
            raise Problem(
                "Decisions are made with a key an admin made in the browser: this key has no "
                "person behind it.",
                status_code=403,
                code="permission_denied",
            )
        step = Step(decision["decision"])
        amount = decision.get("amount")
        if step in (Step.APPROVE, Step.APPROVE_CLAIM) and amount is None:
            raise Problem(
                "amount: required to approve.", [{"path": "amount", "detail": "required"}]
            )
        try:
            fund_services.fund_request_take_step(
                fund_request=fund_request,
                membership=membership,
                step=step,
                amount=amount,
                note=decision["note"],
            )
        except StepRefused as refused:
            raise Problem(str(refused), status_code=409, code="conflict") from None
        return Response(FundRequestSerializer(_fund_requests().get(pk=request_id)).data)
