"""Serializer helpers shared by every app's API: strict input, money and metrics as text."""

import difflib

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses a field it does not know, naming the closest one it does: a typo is an error,
    never something quietly ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [unknown_field(name, known)] for name in unknown}
                )
        return super().to_internal_value(data)


def unknown_field(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean “{close[0]}”?)" if close else ""
    return f"unknown field{hint}; known fields: {', '.join(sorted(known))}"


class UpdatedSinceFilter(serializers.Serializer):
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only rows changed at or after this moment (ISO 8601)."
    )
