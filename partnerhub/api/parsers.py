import json
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become Decimal, never float: a value of 1234.5678
    arrives exactly."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            data = json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except ValueError as error:
            raise ParseError(f"The body is not JSON: {error}") from None
        problem = _bad_text(data, "")
        if problem:
            raise ParseError(problem)
        return data


def _bad_text(value, path: str) -> str | None:
    """JSON may carry text PostgreSQL cannot store: NUL, or half of a surrogate pair."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path or 'the body'}: text may not contain NUL (\\u0000)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path or 'the body'}: text holds a lone surrogate (\\ud800-\\udfff)"
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        if isinstance(value, dict):
            found = _bad_text(key, path) or _bad_text(item, f"{path}.{key}" if path else key)
        else:
            found = _bad_text(item, f"{path}{key}")
        if found:
            return found
    return None
