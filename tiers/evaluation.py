"""The recalculation's evaluation: a program's partners taken in chunks, each evaluated from
its own facts and written to a staging table, then applied to the placements in one step.

A chunk is a range of partner ids. Its facts, its placements and its staged results are all
that is held in memory at once, so a run's memory does not grow with the program; and a chunk
depends only on its own partners' placements as they were before the run, so chunks can be
evaluated in any order, by any number of workers, and evaluated again after a crash, with the
same result. Nothing a partner sees changes before the run's one transaction commits: a run in
one process writes each chunk as it goes (`RunWrites`), a run split over workers applies every
staged chunk in its last step (`staged_apply`).
"""

import datetime
import gc
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.db.models.fields.json import KT
from django_scopes import scope

from .engine import (
    DEMOTION,
    GRACE_EXPIRY,
    Move,
    PartnerFacts,
    Standing,
    TierRule,
    next_review_on,
    parse_rule,
    place,
    qualified_tier,
)
from .models import (
    ChangeReason,
    DemotionPolicy,
    Placement,
    PlacementChange,
    Program,
    StagedPlacement,
    Tier,
)
from .selectors import program_facts, program_tier_rules

# Partners evaluated together: bounds a run's memory, never its result. The run's writes wait
# for the first chunk's read and evaluation, and its last chunk's write waits for nothing else:
# with 2,500 they start at 0.3 s instead of 1.0 (50,000 partners on 2 cores, first placement).
RUN_CHUNK = 2_500
NO_FACTS = PartnerFacts()
# Chunks read ahead of the one being evaluated, each on its own connection. Two were needed
# while evaluating took longer than reading; now the writes are the critical path and a second
# reader only takes the cores from them (50,000 partners, first placement: 5.37–5.44 s with
# two, 5.13–5.24 s with one).
READERS = 1


@dataclass(frozen=True)
class RunPlan:
    """What every chunk of one run reads: the program, the day, its tiers and rules."""

    program: Program
    as_of: datetime.date
    rules: list[TierRule]
    tier_by_key: dict[str, Tier]
    tier_by_id: dict[int, Tier]
    rule_by_key: dict[str, TierRule]
    reviews: Callable
    explanation: "ExplanationText"

    @classmethod
    def load(
        cls, program: Program, as_of: datetime.date, proposed: dict[str, object] | None = None
    ) -> "RunPlan":
        tiers, rules = program_tier_rules(program)
        if proposed:
            rules = [
                TierRule(rule.key, rule.rank, parse_rule(proposed[rule.key]))
                if rule.key in proposed
                else rule
                for rule in rules
            ]
        return cls(
            program=program,
            as_of=as_of,
            rules=rules,
            tier_by_key={tier.key: tier for tier in tiers},
            tier_by_id={tier.pk: tier for tier in tiers},
            rule_by_key={rule.key: rule for rule in rules},
            reviews=_review_dates(program),
            explanation=ExplanationText(program.version, as_of, (rule.key for rule in rules)),
        )


@dataclass(frozen=True)
class PlannedChange:
    partner_id: int
    partner_ref: str
    from_tier: str | None
    to_tier: str | None
    reason: str
    takes_effect_on: datetime.date | None = None
    partner_name: str = ""


@dataclass(frozen=True)
class StagedRow:
    """One partner's result, as the staging table holds it until the run is applied."""

    placement_id: int
    partner_id: int
    tier_id: int | None
    qualified_tier_id: int | None
    at_risk_since: datetime.date | None
    explanation: str  # JSON
    change_reason: str | None = None
    change_from_id: int | None = None
    change_to_id: int | None = None
    takes_effect_on: datetime.date | None = None
    awaiting_reason: str | None = None  # a due demotion left to the managers
    awaiting_to_id: int | None = None


STAGED_COLUMNS = tuple(StagedRow.__dataclass_fields__)


def partner_chunks(program: Program, size: int | None = None) -> list[tuple[int, int, int]]:
    """The program's partners in chunks of `size` (RUN_CHUNK) by id: [(first id, last id,
    partners)]."""
    size = size or RUN_CHUNK
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(partner_id), MAX(partner_id), COUNT(*) FROM ("
            "SELECT partner_id, (ROW_NUMBER() OVER (ORDER BY partner_id) - 1) / %s AS chunk "
            "FROM tiers_placement WHERE program_id = %s) numbered "
            "GROUP BY chunk ORDER BY chunk",
            [size, program.pk],
        )
        return [tuple(row) for row in cursor.fetchall()]


@contextmanager
def older_objects_left_uncollected() -> Iterator[None]:
    """While the block runs, Python's cycle collector passes over every object that existed
    before it. Evaluating makes hundreds of thousands of small objects (facts, rows, their
    decimals), and so many allocations set off the collector's full passes, each over every
    object the process had loaded (170,000 in a worker): two a chunk of 5,000 partners, 90 ms
    of the 230 ms it took to read one. The run's own objects are still collected, and the
    older ones again after it (they are only set aside: gc.freeze)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass(frozen=True)
class ChunkInput:
    """What evaluating one chunk reads: its partners' facts and placements."""

    facts: dict[int, PartnerFacts]
    placements: list[tuple]


def chunk_read(plan: RunPlan, bounds: tuple[int, int]) -> ChunkInput:
    facts = program_facts(program=plan.program, rules=plan.rules, on=plan.as_of, partners=bounds)
    return ChunkInput(facts, list(_placements(plan.program, bounds)))


def chunks_read(plan: RunPlan, chunks: list[tuple[int, int, int]]) -> Iterator[ChunkInput]:
    """Each chunk's input. With several chunks on PostgreSQL, the next READERS chunks are read
    on connections of their own while the caller evaluates this one: the database's part and
    Python's overlap. Those connections see only committed rows: the placements as they were
    before the run, and the facts, which no import changes while the run holds it off."""
    opened: list = []  # each reader thread's connection, closed here once the readers stopped

    def read_apart(bounds):
        database = connections[DEFAULT_DB_ALIAS]
        if database not in opened:  # each thread has its own: only this thread adds this one
            database.inc_thread_sharing()
            opened.append(database)
        with scope(tenant=plan.program.tenant):
            return chunk_read(plan, bounds)

    bounds = [(first, last) for first, last, _ in chunks]
    if len(bounds) < 2 or connection.vendor != "postgresql":
        yield from (chunk_read(plan, chunk) for chunk in bounds)
        return
    readers = min(READERS, len(bounds))
    try:
        with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="run-reads") as reader:
            ahead = deque(reader.submit(read_apart, chunk) for chunk in bounds[:readers])
            try:
                for index in range(len(bounds)):
                    chunk = ahead.popleft().result()
                    if index + readers < len(bounds):
                        ahead.append(reader.submit(read_apart, bounds[index + readers]))
                    yield chunk
            finally:
                for future in ahead:
                    future.cancel()
    finally:
        for database in opened:
            database.close()
            database.dec_thread_sharing()


def chunk_evaluate(plan: RunPlan, chunk: ChunkInput, summary, awaiting) -> list:
    """Evaluate the chunk's partners from their facts; count each in `summary`, keep its planned
    change there, note a due demotion left to the managers in `awaiting` ({partner id:
    (standing, move)}), and return the rows to stage, by partner ref."""
    program, as_of, facts = plan.program, plan.as_of, chunk.facts
    staged = []
    for row in chunk.placements:
        pk, partner_id, ref, name, joined_on, tier_id, at_risk_since, evaluated_on = row[:8]
        override_tier_id, override_until, has_before, before_tier, before_risk = row[8:]
        if evaluated_on == as_of and has_before:
            # This date ran already: start again from where the partner stood before it.
            tier_id, at_risk_since = _int(before_tier), date_or_none(before_risk)
        tier = plan.tier_by_id.get(tier_id or 0)
        standing = Standing(tier.key if tier else None, tier.rank if tier else None, at_risk_since)
        qualified, decisions = qualified_tier(plan.rules, facts.get(partner_id, NO_FACTS))
        override = plan.tier_by_id.get(override_tier_id or 0)
        review = plan.reviews(joined_on)
        move = place(
            current=standing,
            qualified=qualified,
            override=plan.rule_by_key[override.key] if override else None,
            override_until=override_until,
            grace_days=program.grace_days,
            on=as_of,
            review=review,
        )
        awaits = None
        if program.demotion_approval and move.reason in (DEMOTION, GRACE_EXPIRY):
            awaiting[partner_id] = (standing, move)  # a manager decides; until then, at risk
            awaits = move
            move = Move(
                replace(standing, at_risk_since=standing.at_risk_since or as_of),
                None,
                became_at_risk=standing.at_risk_since is None,
            )
        summary.evaluated += 1
        summary.transitions[(standing.tier, move.standing.tier)] += 1
        change = _change(plan, standing, move, review)
        if change is None:
            summary.unchanged += 1
        else:
            reason, before, after, takes_effect_on = change
            summary.count_change(reason)
            if summary.changes is not None:
                summary.changes.append(
                    PlannedChange(
                        partner_id,
                        ref,
                        before.key if before else None,
                        after.key if after else None,
                        reason,
                        takes_effect_on,
                        partner_name=name,
                    )
                )
        staged.append(
            StagedRow(
                placement_id=pk,
                partner_id=partner_id,
                tier_id=_tier_pk(plan, move.standing.tier),
                qualified_tier_id=_tier_pk(plan, qualified.key if qualified else None),
                at_risk_since=move.standing.at_risk_since,
                explanation=plan.explanation(qualified, decisions),
                change_reason=change[0] if change else None,
                change_from_id=change[1].pk if change and change[1] else None,
                change_to_id=change[2].pk if change and change[2] else None,
                takes_effect_on=change[3] if change else None,
                awaiting_reason=awaits.reason if awaits else None,
                awaiting_to_id=_tier_pk(plan, awaits.standing.tier) if awaits else None,
            )
        )
    return staged


def _placements(program: Program, bounds: tuple[int, int]) -> Iterator[tuple]:
    """The placements of a chunk as plain rows, by partner ref; of the placement before this
    date's evaluation, only the two fields the run starts from (the rest stays in SQL)."""
    return iter(
        Placement.objects.filter(
            program=program, partner_id__gte=bounds[0], partner_id__lte=bounds[1]
        )
        .annotate(
            ref=F("partner__ref"),
            name=F("partner__name"),
            joined=F("partner__joined_on"),
            has_before=ExpressionWrapper(
                Q(before_evaluation__has_key="tier"), output_field=BooleanField()
            ),
            before_tier=KT("before_evaluation__tier"),
            before_risk=KT("before_evaluation__at_risk_since"),
        )
        .order_by("ref")
        .values_list(
            "pk",
            "partner_id",
            "ref",
            "name",
            "joined",
            "tier_id",
            "at_risk_since",
            "evaluated_on",
            "override_tier_id",
            "override_until",
            "has_before",
            "before_tier",
            "before_risk",
        )
    )


def _change(plan: RunPlan, standing: Standing, move: Move, review):
    """(reason, tier before, tier after, takes effect on) of a move; None when the partner
    stays as it was."""
    before = plan.tier_by_key.get(standing.tier)
    if move.became_at_risk:
        grace_end = plan.as_of + datetime.timedelta(days=plan.program.grace_days)
        if review is not None:
            grace_end = review(grace_end)
        return ChangeReason.AT_RISK, before, before, grace_end
    if move.reason is None:
        return None
    return move.reason, before, plan.tier_by_key.get(move.standing.tier), None


JSON_LITERAL = {True: "true", False: "false", None: "null"}


class ExplanationText:
    """A placement's explanation as JSON text: {"version", "on", "qualified", "tiers": {tier
    key: [held, [each condition's [value, held]]]}}, a points condition's [value, held, [each
    part's [points, value, held]]], values as decimal text. The very text json.dumps writes of
    it, written here without building the lists first: every partner of every run has one,
    and with json.dumps it was a third of evaluating a partner (5,000 partners: 63 ms, now 35)."""

    def __init__(self, version: int, on: datetime.date, tier_keys: Iterable[str]) -> None:
        self.head = f'{{"version": {json.dumps(version)}, "on": "{on.isoformat()}", "qualified": '
        self.keys = {key: json.dumps(key) for key in tier_keys}

    def __call__(self, qualified: TierRule | None, decisions: dict) -> str:
        tiers = ", ".join(
            f"{self.keys[key]}: [{JSON_LITERAL[decision.held]}, "
            f"[{', '.join(map(_explained, decision.conditions))}]]"
            for key, decision in decisions.items()
        )
        qualified_key = self.keys[qualified.key] if qualified else "null"
        return f'{self.head}{qualified_key}, "tiers": {{{tiers}}}}}'


def _explained(result) -> str:
    if not result.parts:
        return f"[{_text(result.value)}, {JSON_LITERAL[result.held]}]"
    parts = ", ".join(
        f"[{_text(part.points)}, {_text(part.value)}, {JSON_LITERAL[part.held]}]"
        for part in result.parts
    )
    return f"[{_text(result.value)}, {JSON_LITERAL[result.held]}, [{parts}]]"


def _text(value) -> str:
    return "null" if value is None else f'"{value:f}"'


def _tier_pk(plan: RunPlan, key: str | None) -> int | None:
    tier = plan.tier_by_key.get(key) if key else None
    return tier.pk if tier else None


def _int(value) -> int | None:
    return None if value is None else int(value)


def date_or_none(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _review_dates(program: Program):
    """joined_on → review(due), the first review date on or after a due demotion (None: any
    day)."""
    if program.demotions == DemotionPolicy.ANY:
        return lambda joined_on: None
    fiscal_start = program.tenant.fiscal_year_start  # the run has the tenant already

    def reviews(joined_on):
        return partial(
            next_review_on, program.demotions, fiscal_start=fiscal_start, joined_on=joined_on
        )

    return reviews


# --- staging ---------------------------------------------------------------------------------


class RunWrites:
    """Where a run in one process writes each chunk's results as soon as it has them: to the
    placements and their history, in the run's transaction. A later chunk never reads what an
    earlier one wrote (chunks are read on connections of their own, which see only committed rows,
    and a chunk reads only its own partners), so writing as it goes gives the result writing at
    the end would.

    On PostgreSQL a writer thread sends each chunk, through a temporary table emptied after
    each one, on the run's own connection, while the caller evaluates the next chunk: the
    database writes while Python evaluates. The caller leaves the connection to it from
    `with RunWrites(...)` to the block's end. The embedded database (SQLite) writes in line."""

    TABLE = "run_rows"

    def __init__(self, program: Program, as_of: datetime.date) -> None:
        self.program, self.as_of = program, as_of
        self.evaluated = self.changed = 0
        self.database = connections[DEFAULT_DB_ALIAS]  # the run's, in its transaction
        self.writer: ThreadPoolExecutor | None = None
        self.writing: Future | None = None

    def __enter__(self) -> "RunWrites":
        if self.database.vendor == "postgresql":
            with self.database.cursor() as cursor:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {self.TABLE} ({staged_sql_columns(self.database)}) "
                    "ON COMMIT DROP"
                )
                # Each chunk's foreign keys are checked as the writer sends it, while Python
                # evaluates the next, not all at the commit, when nothing else runs: 0.34 s of
                # a first placement of 20,000 (a history entry's four keys, a placement's two).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.database.inc_thread_sharing()
            self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-writes")
        return self

    def write(self, rows: list[StagedRow]) -> None:
        if self.writer is None:
            _apply_in_python(self.program, self.as_of, rows)
            return
        self._wait()
        self.writing = self.writer.submit(self._write, rows)

    def _write(self, rows: list[StagedRow]) -> None:
        partners = (min(row.partner_id for row in rows), max(row.partner_id for row in rows))
        with self.database.cursor() as cursor:
            staged_copy(cursor, self.TABLE, rows)
            evaluated, changed = staged_apply(
                cursor, self.program, self.as_of, self.TABLE, partners=partners
            )
            cursor.execute(f"TRUNCATE {self.TABLE}")
        self.evaluated += evaluated
        self.changed += changed

    def _wait(self) -> None:
        if self.writing is not None:
            writing, self.writing = self.writing, None
            writing.result()  # a failed write fails the run here

    def __exit__(self, error_type, error, traceback) -> None:
        if self.writer is None:
            return  # in line: nothing left in flight
        try:
            if error is None:
                self._wait()
            elif self.writing is not None:  # it ends before the run's rollback starts
                futures_wait([self.writing])
        finally:
            self.writer.shutdown()
            self.database.dec_thread_sharing()
        if error is None:
            with self.database.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self.TABLE}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's, for what follows
            statistics_refresh_after(evaluated=self.evaluated, changed=self.changed)


def staged_sql_columns(database) -> str:
    """The columns of a table of StagedRows, typed as StagedPlacement's (one table's worth)."""
    fields = {field.column: field for field in StagedPlacement._meta.concrete_fields}
    return ", ".join(f"{name} {fields[name].db_type(database)}" for name in STAGED_COLUMNS)


def staged_copy(cursor, table: str, rows: Iterable[StagedRow], *extra) -> None:
    """COPY `rows` into `table` (its first columns `extra`, the same for every row)."""
    columns = ", ".join(("tenant_id", "run_id", "chunk")[: len(extra)] + STAGED_COLUMNS)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*extra, *(getattr(row, name) for name in STAGED_COLUMNS)))


def staged_apply(
    cursor,
    program: Program,
    as_of: datetime.date,
    source: str,
    params=(),
    *,
    partners: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """Write the staged results in `source` (a table, or a subquery with `params`) to the
    placements and their history, in two statements on `cursor`; return (placements
    evaluated, history rows). Each placement keeps the standing it had before this date's
    evaluation (for a rerun of the date, and for undo), taken in SQL. `partners`: the first
    and last partner id of the rows in `source`, when it holds one chunk's."""
    # Bounded by the chunk, the join reads its placements off an index; unbounded, each chunk's
    # join hashed every placement of the program (at 20,000: 46 ms a chunk, bounded 25 ms).
    in_range = "AND p.partner_id BETWEEN %s AND %s" if partners else ""
    cursor.execute(
        "UPDATE tiers_placement p SET tier_id = r.tier_id, "  # noqa: S608 - constant SQL
        "qualified_tier_id = r.qualified_tier_id, at_risk_since = r.at_risk_since, "
        "explanation = r.explanation, evaluated_on = %s, version = %s, "
        "before_evaluation = CASE WHEN p.evaluated_on = %s "
        "AND p.before_evaluation <> '{}'::jsonb THEN p.before_evaluation "
        "ELSE jsonb_build_object('tier', p.tier_id, 'at_risk_since', p.at_risk_since, "
        "'qualified_tier', p.qualified_tier_id, 'evaluated_on', p.evaluated_on, "
        "'version', p.version, 'explanation', p.explanation) END "
        f"FROM {source} r WHERE p.id = r.placement_id AND p.program_id = %s {in_range}",
        [as_of, program.version, as_of, *params, program.pk, *(partners or ())],
    )
    evaluated = cursor.rowcount
    cursor.execute(
        "INSERT INTO tiers_placementchange (tenant_id, partner_id, program_id, from_tier_id, "  # noqa: S608
        'to_tier_id, "on", reason, version, takes_effect_on, created_at) '
        "SELECT %s, r.partner_id, %s, r.change_from_id, r.change_to_id, %s, r.change_reason, "
        "%s, r.takes_effect_on, now() "
        f"FROM {source} r WHERE r.change_reason IS NOT NULL ON CONFLICT DO NOTHING",
        [program.tenant_id, program.pk, as_of, program.version, *params],
    )
    return evaluated, cursor.rowcount


def statistics_refresh_after(*, evaluated: int, changed: int) -> None:
    """Queue `_statistics_refresh` when a run moved many of the partners it evaluated."""
    if changed > 50 + evaluated // 10:
        transaction.on_commit(_statistics_refresh)


def _statistics_refresh() -> None:
    """Analyze what pages read after a run that moved many partners (a first placement, a new
    rule), on autovacuum's own threshold (50 rows and a tenth), without waiting for it: it may
    be off, as on these machines. With the old statistics every placement looked tierless and
    the history empty: the partner list filtered by a tier took 35 ms instead of 1, the
    dashboard's movements 180 ms instead of 1, at 50,000 partners. The placements' explanation
    and snapshots are left out (ANALYZE read them for 300 ms of its 390). After the commit,
    because ANALYZE holds a lock that two runs' ANALYZEs would queue on until they commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE tiers_placement (tenant_id, program_id, partner_id, tier_id, at_risk_since, "
            "override_tier_id, override_until, evaluated_on)"
        )
        cursor.execute("ANALYZE tiers_placementchange")


def _apply_in_python(program: Program, as_of: datetime.date, rows: list[StagedRow]) -> None:
    """The same as `staged_apply`, for the embedded database (SQLite): demo-sized programs."""
    placements = Placement.objects.in_bulk([row.placement_id for row in rows])
    saved = []
    for row in rows:
        placement = placements.get(row.placement_id)
        if placement is None:
            continue  # its partner left the program meanwhile
        if placement.evaluated_on != as_of or not placement.before_evaluation:
            placement.before_evaluation = {
                "tier": placement.tier_id,
                "at_risk_since": _iso(placement.at_risk_since),
                "qualified_tier": placement.qualified_tier_id,
                "evaluated_on": _iso(placement.evaluated_on),
                "version": placement.version,
                "explanation": placement.explanation or {},
            }
        placement.tier_id = row.tier_id
        placement.qualified_tier_id = row.qualified_tier_id
        placement.at_risk_since = row.at_risk_since
        placement.evaluated_on = as_of
        placement.version = program.version
        placement.explanation = json.loads(row.explanation)
        saved.append(placement)
    Placement.objects.bulk_update(saved, PLACEMENT_FIELDS, batch_size=1_000)
    PlacementChange.objects.bulk_create(
        (
            PlacementChange(
                tenant_id=program.tenant_id,
                partner_id=row.partner_id,
                program=program,
                from_tier_id=row.change_from_id,
                to_tier_id=row.change_to_id,
                on=as_of,
                reason=row.change_reason,
                version=program.version,
                takes_effect_on=row.takes_effect_on,
            )
            for row in rows
            if row.change_reason
        ),
        ignore_conflicts=True,
    )


PLACEMENT_FIELDS = [
    "tier",
    "qualified_tier",
    "at_risk_since",
    "evaluated_on",
    "version",
    "explanation",
    "before_evaluation",
]


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None
