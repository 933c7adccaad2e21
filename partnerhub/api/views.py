from rest_framework import generics


class FilteredList(generics.ListAPIView):
    """A list whose query parameters are checked by `filter_serializer` (an unknown one is a
    400 naming it) and applied by `filtered`: by default each parameter given filters by its
    lookup in `lookups`."""

    filter_serializer: type
    lookups: dict[str, str] = {}  # query parameter → ORM lookup

    def get_queryset(self):
        filters = self.filter_serializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return self.filtered(self.rows(), filters.validated_data)

    def rows(self):
        raise NotImplementedError

    def filtered(self, query, wanted: dict):
        for name, lookup in self.lookups.items():
            if name in wanted:
                query = query.filter(**{lookup: wanted[name]})
        return query
