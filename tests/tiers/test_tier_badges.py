"""A tier badge's text is dark or white, whichever reads better on the tier's colour (WCAG)."""

import pytest

from tiers.templatetags.tier_badges import DARK, LIGHT, ink_on


@pytest.mark.parametrize(
    ("colour", "ink"),
    [("#ffffff", DARK), ("#111827", LIGHT), ("#9ca3af", DARK), ("#2f5bea", LIGHT),
     ("#b8860b", DARK), ("grey", DARK), ("", DARK)],
)  # fmt: skip
def test_the_badge_text_reads_on_its_colour(colour, ink):
    assert ink_on(colour) == ink
