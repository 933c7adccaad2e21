"""What every operation can answer besides success, for the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ProblemSerializer = inline_serializer(
    "Problem",
    {
        "type": serializers.URLField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                "ProblemError",
                {"path": serializers.CharField(), "detail": serializers.CharField()},
            ),
            required=False,
        ),
    },
)

PROBLEM_RESPONSES = {
    (code, "application/problem+json"): OpenApiResponse(ProblemSerializer, description=description)
    for code, description in (
        (400, "The request is not valid: `errors` names each problem by its path."),
        (401, "No API key, or an unknown or revoked one."),
        (403, "The key may not do this (a read key writing)."),
        (404, "Not found in this key's program."),
        (405, "This method is not allowed here."),
        (409, "The step conflicts with the resource's state (a request already decided)."),
        (413, "Too many items in one call."),
        (422, "The Idempotency-Key was used with another body."),
        (429, "Too many calls for this key: retry after `Retry-After` seconds."),
    )
}


class ApiKeySchemeExtension(OpenApiAuthenticationExtension):
    target_class = "partnerhub.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer ph_…` (read or write scope).",
        }
