from tiers.selectors import notices_unread_count


def notices(request):
    """The bell's count on every page of a program (one query)."""
    if getattr(request, "membership", None) is None:
        return {}
    return {"unread_notices": notices_unread_count(user=request.user)}
