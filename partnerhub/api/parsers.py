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
            return json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except ValueError as error:
            raise ParseError(f"The body is not JSON: {error}") from None
