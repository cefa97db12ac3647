from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Cursor pagination over the primary key, newest first: stable under inserts, and a
    page costs the same at row 50 as at row 50 000."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
