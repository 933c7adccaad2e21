from rest_framework.pagination import CursorPagination


class StableCursor(CursorPagination):
    """Opaque cursors over a stable order, so a sync never skips or repeats a row while others
    are written; `page_size` up to 1,000."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = ("updated_at", "pk")


class ByIdCursor(StableCursor):
    """For rows without an update time (metric values): in the order they were first written."""

    ordering = ("pk",)
