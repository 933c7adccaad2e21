from django.utils.cache import patch_cache_control


class SignedInPagesAreNotStored:
    """A signed-in page holds a tenant's data: no browser or proxy cache may keep it (a shared
    computer's back button, a proxy between offices)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
