from django import template
from django.utils.safestring import mark_safe

from training.embeds import VideoLinkError, video_player_url
from training.lesson_content import clean_lesson_html

register = template.Library()


@register.filter
def lesson_html(body: str) -> str:
    """Lesson HTML, cleaned again as it is shown, whatever path the text took to the database."""
    return mark_safe(clean_lesson_html(body))  # noqa: S308 - cleaned by nh3 just above


@register.filter
def video_player(link: str) -> str:
    """The YouTube or Vimeo player for a lesson's link; "" for any other link, or a bad one."""
    try:
        return video_player_url(link or "") or ""
    except VideoLinkError:
        return ""
