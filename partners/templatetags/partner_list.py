from django import template
from django.utils.html import format_html
from django.utils.http import urlencode

register = template.Library()


def _link(request, params: dict, label: str):
    """A link to this list with `params` changed; any other page cursor is dropped."""
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    for name, value in params.items():
        query[name] = value
    url = f"{request.path}?{urlencode(sorted(query.items()))}"
    return format_html(
        '<a href="{url}" hx-get="{url}" hx-target="#partner-results" hx-push-url="true">'
        "{label}</a>",
        url=url,
        label=label,
    )


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str):
    """A column heading that sorts by `key`, and by `-key` when already sorted by it."""
    request = context["request"]
    current = request.GET.get("sort", "ref")
    if current == key:
        return _link(request, {"sort": f"-{key}"}, f"{label} ▲")
    if current == f"-{key}":
        return _link(request, {"sort": key}, f"{label} ▼")
    return _link(request, {"sort": key}, label)


@register.simple_tag(takes_context=True)
def page_link(context, label: str, **cursor):
    """The first page (no cursor), or the one `after=` or `before=` a keyset cursor."""
    return _link(context["request"], cursor, label)
