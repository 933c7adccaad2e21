"""Keyset pagination for long lists shown in pages: a page starts after (or before) the sort key
of the row at its edge, so page 2,000 costs what page 1 does, where OFFSET reads and drops every
row before it.

A sort is a tuple of (field, descending) pairs whose last field is unique, so every row has one
place. The cursor is that edge row's key, opaque to the browser (base64 of JSON); a cursor that
does not decode, or has the wrong shape, is refused with KeysetCursorError.
"""

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

Sort = tuple[tuple[str, bool], ...]


class KeysetCursorError(ValueError):
    pass


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    count: int
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def keyset_page(
    rows: QuerySet,
    sort: Sort,
    *,
    size: int,
    after: str = "",
    before: str = "",
    counted: QuerySet | None = None,
) -> KeysetPage:
    """One page of `rows` in `sort` order: the first, or the one after or before a cursor.
    `counted`, when given, is what the page counts instead: the same rows without the joins
    only the sort needs."""
    backwards = bool(before) and not after
    cursor = _decode(after or before, sort) if (after or before) else None
    ordered = rows.order_by(*(_order(name, descending != backwards) for name, descending in sort))
    if cursor is not None:
        ordered = ordered.filter(_beyond(sort, cursor, backwards=backwards))
    found = list(ordered[: size + 1])
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    edge_before = cursor is not None and (not backwards or more)
    edge_after = more or backwards
    return KeysetPage(
        rows=found,
        count=(rows if counted is None else counted).count(),
        next_cursor=_encode(found[-1], sort) if found and edge_after else None,
        previous_cursor=_encode(found[0], sort) if found and edge_before else None,
    )


def _order(name: str, descending: bool) -> str:
    return f"-{name}" if descending else name


def _beyond(sort: Sort, values: list, *, backwards: bool) -> Q:
    """Rows after `values` in sort order (before them, going backwards): the first key that
    differs decides, as in a row comparison but with each key's own direction. The first key's
    bound is repeated on its own, so that the database starts an index range scan there."""
    beyond = Q(pk__in=[])
    equal = Q()
    for (name, descending), value in zip(sort, values, strict=True):
        lookup = "lt" if descending != backwards else "gt"
        beyond |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    (first, descending), value = sort[0], values[0]
    return Q(**{f"{first}__{'lte' if descending != backwards else 'gte'}": value}) & beyond


def _key(row, sort: Sort) -> list:
    values = []
    for name, _ in sort:
        value = getattr(row, name)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return values


def _encode(row, sort: Sort) -> str:
    text = json.dumps(_key(row, sort), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise KeysetCursorError("the page link is not one this list made") from error
    if (
        not isinstance(values, list)
        or len(values) != len(sort)
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)
    ):
        raise KeysetCursorError("the page link does not fit this sort")
    return values


def in_batches(queryset: QuerySet, size: int) -> Iterator[list]:
    """The queryset's rows `size` at a time in id order, each batch one query starting after the
    last id read: bounded memory without a server-side cursor (which a PgBouncer in transaction
    mode rules out, and without which `.iterator()` reads every row at once)."""
    after = None
    while True:
        rows = queryset if after is None else queryset.filter(pk__gt=after)
        batch = list(rows.order_by("pk")[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        after = batch[-1].pk
