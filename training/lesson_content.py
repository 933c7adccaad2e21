"""What a lesson's text may hold. Admins write it in a rich-text editor (Trix); every partner
reads it, so it is cleaned by nh3 when saved and again when shown: basic formatting, links, and
images only from this site's own lesson-image addresses (an image elsewhere would tell another
server who reads the lesson)."""

import re

import nh3

LESSON_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "del",
    "a",
    "blockquote",
    "code",
    "pre",
    "figure",
    "figcaption",
    "img",
}
LESSON_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
LESSON_IMAGE_SRC = re.compile(r"/o/[a-z0-9-]+/training/lesson-images/[0-9a-f-]{36}/")
_DIMENSION = re.compile(r"\d{1,5}")


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        return value if LESSON_IMAGE_SRC.fullmatch(value) else None
    if tag == "img" and name in ("width", "height"):
        return value if _DIMENSION.fullmatch(value) else None
    return value


def clean_lesson_html(html: str) -> str:
    return nh3.clean(
        html, tags=LESSON_TAGS, attributes=LESSON_ATTRIBUTES, attribute_filter=_attribute
    )


IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
)


def image_type(head: bytes) -> tuple[str, str] | None:
    """(content type, file suffix) of an image from its first bytes, for the kinds lessons
    accept; None for anything else (SVG included: it can carry script)."""
    for signature, content_type, suffix in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type, suffix
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None
