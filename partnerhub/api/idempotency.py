"""`Idempotency-Key`: a call retried with the same key (and the same body) gets the first
call's answer instead of doing the work again; the same key with another body is refused."""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from .errors import Problem
from .models import IdempotentResponse

MAX_KEY_CHARS = 200


def idempotent(request, handle: Callable[[], Response]) -> Response:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return handle()
    if len(key) > MAX_KEY_CHARS:
        raise Problem(
            f"Idempotency-Key is longer than {MAX_KEY_CHARS} characters.",
            [{"path": "Idempotency-Key", "detail": "too long"}],
        )
    digest = hashlib.sha256(
        json.dumps(request.data, sort_keys=True, default=str).encode()
    ).hexdigest()
    found = IdempotentResponse.objects.filter(api_key=request.auth, key=key).first()
    if found is not None:
        return _replay(found, digest)
    try:
        with transaction.atomic():
            response = handle()  # a refusal raises, and is not kept: a retry checks again
            IdempotentResponse.objects.create(
                tenant=request.auth.tenant,
                api_key=request.auth,
                key=key,
                request_hash=digest,
                status=response.status_code,
                body=response.data,
            )
    except IntegrityError:
        # the same key at the same moment: the other call committed first; answer as it did
        return _replay(IdempotentResponse.objects.get(api_key=request.auth, key=key), digest)
    return response


def _replay(found: IdempotentResponse, digest: str) -> Response:
    if found.request_hash != digest:
        raise Problem(
            "This Idempotency-Key was used with another body: use a new key for a new call.",
            [{"path": "Idempotency-Key", "detail": "already used with another body"}],
            status_code=422,
            code="idempotency_key_reused",
        )
    response = Response(found.body, status=found.status)
    response["Idempotent-Replayed"] = "true"
    return response
