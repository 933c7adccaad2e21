from django import template
from django.utils.safestring import mark_safe

from training.services import clean_lesson_html

register = template.Library()


@register.filter
def lesson_html(body: str) -> str:
    """Lesson HTML, cleaned again as it is shown, whatever path the text took to the database."""
    return mark_safe(clean_lesson_html(body))  # noqa: S308 - cleaned by nh3 just above
