"""One shape for every API error: RFC 9457 problem details, with `errors` naming each bad
field by its path (`values[17].period`)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_TYPE = "https://partnerhub.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """A refusal with its problems: [{"path": "values[3].period", "detail": "..."}]."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self, detail: str, errors: list[dict] | None = None, *, code=None, status_code=None
    ):
        super().__init__(detail, code)
        self.errors = errors or []
        if status_code is not None:
            self.status_code = status_code


def problem_response(status_code: int, code: str, title: str, detail: str, errors=None) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status_code, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _paths(detail, path="") -> list[dict]:
    """DRF's nested validation errors as a flat list of {path, detail}."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            joined = f"{path}.{name}" if path and name else (path or name)
            found += _paths(value, joined)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"path": path, "detail": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            if item:
                found += _paths(item, f"{path}[{index}]")
        return found
    return [{"path": path, "detail": str(detail)}]


TITLES = {
    400: "The request is not valid",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def problem_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            413,
            "too_large",
            TITLES[413],
            f"The body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes: send fewer values "
            "a call.",
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500, logged
    code = getattr(exc, "default_code", "error")
    errors = getattr(exc, "errors", None)
    if isinstance(exc, exceptions.ValidationError):
        errors = _paths(exc.detail)
        detail = "; ".join(
            f"{e['path']}: {e['detail']}" if e["path"] else e["detail"] for e in errors[:3]
        )
        if len(errors) > 3:
            detail += f"; and {len(errors) - 3} more"
    else:
        detail = str(exc.detail) if hasattr(exc, "detail") else str(exc)
    problem = problem_response(
        response.status_code, str(code), TITLES.get(response.status_code, "Error"), detail, errors
    )
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


def not_found(request, exception):
    """404 for a URL that matches nothing: a problem under /api/, the page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path_info.startswith("/api/"):
        body = {
            "type": PROBLEM_TYPE + "not_found",
            "title": TITLES[404],
            "status": 404,
            "detail": f"No API operation at {request.path_info}.",
        }
        return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
    return page_not_found(request, exception)
