from django import template

from tiers.models import BenefitKind
from tiers.progress import amount

register = template.Library()

DARK, LIGHT = "#111827", "#ffffff"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@register.filter
def ink_on(colour: str) -> str:
    """The text colour (near-black or white) that reads best on a tier's colour."""
    try:
        background = _luminance(colour)
    except (ValueError, IndexError, TypeError):
        return DARK
    on_dark = (1.05) / (background + 0.05)  # white text
    on_light = (background + 0.05) / (_luminance(DARK) + 0.05)
    return LIGHT if on_dark >= on_light else DARK


@register.simple_tag
def benefit_value(benefit, currency: str) -> str:
    """What a benefit is worth, as the badge shows it: market development funds from the tier's
    own quarterly amount, in the tenant's currency; anything else as the admin wrote it."""
    quarterly = benefit.tier.mdf_quarterly if benefit.kind == BenefitKind.MDF else None
    if quarterly:
        return f"{amount(quarterly, 'currency', currency)} a quarter"
    return benefit.value
