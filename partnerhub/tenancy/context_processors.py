def tenancy(request):
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
    }
