"""The criteria editor as a rule builder: a tier's rule as a tree of groups and conditions.

The builder posts the tree as flat fields, `node:<path>:<field>`, where a path is the position
from the top group: "" is the top group, "1" its second part, "1.0" the first part of that.
Adding, removing and moving parts are edits of the tree, made here and rendered again, so the
builder works the same with htmx or without JavaScript. Rule JSON is made only from a tree whose
every part checks out, each problem kept next to the part it is about; the engine's own
`parse_rule` has the last word. Pure functions: the view passes in the tenant's metrics and
certifications.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from .engine import (
    AGGREGATES,
    FISCAL_WINDOWS,
    GROWTH,
    MAX_WINDOW,
    OPERATORS,
    PARTNER_ATTRIBUTES,
    AllOf,
    AnyOf,
    PointsCondition,
    PointsWhen,
    Rule,
    RuleError,
    certification_keys,
    closest,
    decimal_text,
    parse_rule,
    window_length,
)
from .progress import AGG_WORDS, OP_WORDS, MetricInfo, Words, rule_words, window_words

MAX_PARTS = 200
MAX_DEPTH = 8
# A group holds conditions and groups; a points group holds parts, each a "per" (points per
# step of a metric) or a "when" (points when its own group of conditions holds).
CONDITION_KINDS = ("metric", "certification", "partner", "per")
GROUP_KINDS = ("group", "points", "when")
KINDS = CONDITION_KINDS + GROUP_KINDS
CHILD_KINDS = {
    "group": ("metric", "certification", "partner", "group", "points"),
    "when": ("metric", "certification", "partner", "group"),
    "points": ("per", "when"),
}
COMBINATOR_WORDS = {"all": "all", "any": "any"}
ADD_WORDS = {
    "metric": "+ Metric condition",
    "certification": "+ Certification",
    "partner": "+ Partner type or region",
    "group": "+ Group",
    "points": "+ Points",
    "per": "+ Points per step of a metric",
    "when": "+ Points when conditions hold",
}
FIELDS = {
    "metric": ("metric", "agg", "window", "op", "value", "min_months"),
    "certification": ("certification", "min"),  # a family's keys joined by commas
    "partner": ("partner", "in"),  # the values as people type them: "msp, var"
    "per": ("metric", "agg", "window", "per", "add", "max"),
    "points": ("op", "value"),
    "when": ("add",),
    "group": (),
}


class DraftError(ValueError):
    """The posted tree itself is malformed (never the case for what the builder sends)."""


@dataclass
class Condition:
    kind: str  # metric, certification, partner or per
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    combinator: str = "all"
    parts: list[Group | Condition] = field(default_factory=list)
    kind: str = "group"  # group, points or when
    fields: dict[str, str] = field(
        default_factory=dict
    )  # a points group's op and value, a when's add


Part = Group | Condition


@dataclass(frozen=True)
class Choices:
    """What a condition may name: metric key → (name, unit) and certification key → name."""

    metrics: Mapping[str, tuple[str, str]]
    certifications: Mapping[str, str]
    currency: str

    @cached_property
    def metric_options(self) -> list[tuple[str, str]]:
        """(key, name) by name, as the pickers list them: sorted once, not per condition."""
        named = ((key, name) for key, (name, _) in self.metrics.items())
        return sorted(named, key=lambda option: option[1].lower())

    @cached_property
    def certification_options(self) -> list[tuple[str, str]]:
        return sorted(self.certifications.items(), key=lambda option: option[1].lower())

    @cached_property
    def words(self) -> Words:
        metrics = {key: MetricInfo(name, unit) for key, (name, unit) in self.metrics.items()}
        return Words(metrics, self.certifications, self.currency)


# Reading a stored rule


def draft_from_rule(rule) -> tuple[bool, Group]:
    """(every partner qualifies, the top group) for a stored rule."""
    if rule is None:
        return True, Group()
    part = _draft_part(rule)
    return False, part if isinstance(part, Group) else Group("all", [part])


def _draft_part(rule) -> Part:
    for combinator in ("all", "any"):
        if combinator in rule:
            return Group(combinator, [_draft_part(p) for p in rule[combinator]])
    if "points" in rule:
        fields = {"op": rule["op"], "value": str(rule["value"])}
        return Group("all", [_draft_points_part(p) for p in rule["points"]], "points", fields)
    if "certification" in rule:
        named = ",".join(certification_keys(rule["certification"]))
        return Condition("certification", {"certification": named, "min": str(rule["min"])})
    if "partner" in rule:
        return Condition("partner", {"partner": rule["partner"], "in": ", ".join(rule["in"])})
    return Condition(
        "metric",
        {
            "metric": rule["metric"],
            "agg": rule["agg"],
            "window": str(rule["window"]),
            "op": rule["op"],
            "value": str(rule["value"]),
            "min_months": str(rule.get("min_months") or ""),
        },
    )


def _draft_points_part(part) -> Part:
    if "when" in part:
        inner = _draft_part(part["when"])
        when = (
            inner if isinstance(inner, Group) and inner.kind == "group" else Group("all", [inner])
        )
        return Group(when.combinator, when.parts, "when", {"add": str(part["add"])})
    fields = {name: str(part.get(name, "")) for name in FIELDS["per"]}
    return Condition("per", fields | {"max": "" if part.get("max") is None else str(part["max"])})


# Reading the posted builder

_NAME = re.compile(r"^node:(?P<path>(\d+(\.\d+)*)?):(?P<field>[a-z]+)$")


def draft_from_post(data: Mapping[str, str]) -> tuple[bool, Group]:
    """The tree the builder posted; DraftError if it is not a tree."""
    nodes: dict[tuple[int, ...], dict[str, str]] = {}
    for name in data:
        match = _NAME.match(name)
        if match:
            path = _path(match["path"])
            values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            # a family of certifications posts one value per key chosen
            nodes.setdefault(path, {})[match["field"]] = ",".join(v.strip() for v in values)
    if len(nodes) > MAX_PARTS:
        raise DraftError(f"the rule has more than {MAX_PARTS} parts")
    top = Group(_combinator(nodes.get((), {})))
    made: dict[tuple[int, ...], Part] = {(): top}
    for path in sorted(p for p in nodes if p):
        values = nodes[path]
        kind = values.get("type")
        if kind not in KINDS:
            raise DraftError(f"part {_number(path)} has no type (metric, certification or group)")
        parent = made.get(path[:-1])
        if not isinstance(parent, Group):
            raise DraftError(f"part {_number(path)} is not inside a group")
        if kind not in CHILD_KINDS[parent.kind]:
            raise DraftError(f"part {_number(path)} cannot be a {kind} inside a {parent.kind}")
        if len(path) > MAX_DEPTH:
            raise DraftError(f"part {_number(path)} nests groups deeper than {MAX_DEPTH}")
        if kind in GROUP_KINDS:
            fields = {name: values.get(name, "") for name in FIELDS[kind]}
            part: Part = Group(_combinator(values), kind=kind, fields=fields)
        else:
            part = Condition(kind, {name: values.get(name, "") for name in FIELDS[kind]})
        parent.parts.append(part)
        made[path] = part
    return data.get("always") in ("on", "true", "1"), top


def _path(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(".")) if text else ()


def _combinator(values: Mapping[str, str]) -> str:
    combinator = values.get("combinator", "all")
    if combinator not in COMBINATOR_WORDS:
        raise DraftError(f"a group holds with “all” or “any”, not “{combinator}”")
    return combinator


def path_text(path: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in path)


def _number(path: tuple[int, ...]) -> str:
    """A part as people count it: the second part of the first group is 1.2."""
    return ".".join(str(n + 1) for n in path)


# Editing the tree


def draft_edit(top: Group, edit: str) -> tuple[Group, tuple[int, ...]]:
    """Apply one edit ("add-metric:1", "remove:1.0", "up:2", "down:0"...) to the tree; returns
    it and the path of the part the edit leaves in focus."""
    verb, _, where = edit.partition(":")
    if not re.fullmatch(r"(\d+(\.\d+)*)?", where):
        raise DraftError(f"there is no part {where!r} to edit")
    path = _path(where)
    target = _find(top, path)
    if target is None:
        raise DraftError(f"there is no part {where!r} to edit")
    if verb.startswith("add-"):
        kind = verb.removeprefix("add-")
        if not isinstance(target, Group) or kind not in CHILD_KINDS[target.kind]:
            raise DraftError(f"cannot {verb} at {where!r}")
        if len(path) >= MAX_DEPTH - 1 and kind in GROUP_KINDS:
            raise DraftError(f"groups nest at most {MAX_DEPTH} deep")
        target.parts.append(_new_part(kind))
        return top, (*path, len(target.parts) - 1)
    if not path:
        raise DraftError("the top group can only be added to")
    parent = _find(top, path[:-1])
    if not isinstance(parent, Group):  # pragma: no cover - a found part's parent is a group
        raise DraftError(f"there is no part {where!r} to edit")
    index = path[-1]
    if verb == "remove":
        parent.parts.pop(index)
        return top, path[:-1]
    step = {"up": -1, "down": 1}.get(verb)
    if step is None:
        raise DraftError(f"unknown edit {verb!r}")
    other = index + step
    if 0 <= other < len(parent.parts):
        parent.parts[index], parent.parts[other] = parent.parts[other], parent.parts[index]
        return top, (*path[:-1], other)
    return top, path


def _find(top: Group, path: tuple[int, ...]) -> Part | None:
    part: Part = top
    for index in path:
        if not isinstance(part, Group) or not 0 <= index < len(part.parts):
            return None
        part = part.parts[index]
    return part


def _new_part(kind: str) -> Part:
    if kind == "group":
        return Group("any", [_new_part("metric")])
    if kind == "points":
        return Group("all", [_new_part("per")], "points", {"op": ">=", "value": ""})
    if kind == "when":
        return Group("all", [_new_part("certification")], "when", {"add": ""})
    if kind == "per":
        fields = {"metric": "", "agg": "sum", "window": "12", "per": "", "add": "1", "max": ""}
        return Condition(kind, fields)
    if kind == "certification":
        return Condition(kind, {"certification": "", "min": "1"})
    if kind == "partner":
        return Condition(kind, {"partner": "type", "in": ""})
    return Condition(
        kind,
        {"metric": "", "agg": "sum", "window": "12", "op": ">=", "value": "", "min_months": ""},
    )


# Checking it: the rule JSON, or every problem by part and field

Problems = dict[tuple[int, ...], dict[str, str]]


def draft_rule(always: bool, top: Group, choices: Choices) -> tuple[dict | None, Problems]:
    """The rule JSON the tree describes, or the problems, each keyed by the part's path and the
    field that is wrong ("group" for a group's own problem)."""
    if always:
        return None, {}
    problems: Problems = {}
    if not top.parts:
        problems[()] = {"group": "No conditions yet: add one, or tick “Every partner qualifies”."}
        return None, problems
    rule = _rule_of(top, (), choices, problems)
    if problems:
        return None, problems
    try:
        parse_rule(rule)
    except RuleError as error:  # the engine's last word, on its own path
        problems[()] = {"group": f"{error.path}: {error.message}"}
        return None, problems
    return rule, {}


def _rule_of(part: Part, path, choices: Choices, problems: Problems):
    if isinstance(part, Group):
        return _group_rule(part, path, choices, problems)
    wrong: dict[str, str] = {}
    values = part.fields
    if part.kind == "per":
        return _per_rule(values, path, choices, problems)
    if part.kind == "certification":
        keys = [key for key in values.get("certification", "").split(",") if key]
        for key in keys or [""]:
            _known(key, choices.certifications, "certification", wrong)
        people = _whole(values.get("min", ""), "min", 0, 1_000_000, wrong)
        if wrong:
            problems[path] = wrong
        return {"certification": keys if len(keys) > 1 else "".join(keys), "min": people}
    if part.kind == "partner":
        attribute = values.get("partner", "")
        if attribute not in PARTNER_ATTRIBUTES:
            wrong["partner"] = f"Choose {' or '.join(PARTNER_ATTRIBUTES)}."
        wanted = list(dict.fromkeys(v.strip() for v in values.get("in", "").split(",")))
        wanted = [v for v in wanted if v]
        if not wanted:
            wrong["in"] = "Name at least one value, commas between them."
        if wrong:
            problems[path] = wrong
        return {"partner": attribute, "in": wanted}
    condition = _metric_read(values, choices, wrong)
    condition["op"] = _op_chosen(values, wrong)
    condition["value"] = value_parse(values.get("value", ""), wrong)
    if values.get("min_months"):
        window = condition["window"]
        longest = window_length(window) if window is not None else MAX_WINDOW
        condition["min_months"] = _whole(values["min_months"], "min_months", 1, longest, wrong)
    if wrong:
        problems[path] = wrong
    return condition


def _group_rule(part: Group, path, choices: Choices, problems: Problems):
    if not part.parts and (path or part.kind != "group"):
        problems[path] = {"group": "This group is empty: add a condition or remove it."}
    parts = [_rule_of(p, (*path, n), choices, problems) for n, p in enumerate(part.parts)]
    if part.kind == "group":
        return {part.combinator: parts}
    wrong: dict[str, str] = {}
    rule: dict[str, object]
    if part.kind == "when":
        add = value_parse(part.fields.get("add", ""), wrong, name="add")
        rule = {"when": {part.combinator: parts}, "add": add}
    else:
        op = _op_chosen(part.fields, wrong)
        rule = {
            "points": parts,
            "op": op,
            "value": value_parse(part.fields.get("value", ""), wrong),
        }
    if wrong:
        problems.setdefault(path, {}).update(wrong)
    return rule


def _per_rule(values, path, choices: Choices, problems: Problems) -> dict:
    wrong: dict[str, str] = {}
    part = _metric_read(values, choices, wrong)
    per = value_parse(values.get("per", ""), wrong, name="per")
    if per is not None and Decimal(per) <= 0:
        wrong["per"] = "A step above 0."
    part["per"] = per
    part["add"] = value_parse(values.get("add", ""), wrong, name="add")
    if values.get("max", "").strip():
        part["max"] = value_parse(values["max"], wrong, name="max")
    if wrong:
        problems[path] = wrong
    return part


def _metric_read(values, choices: Choices, wrong: dict) -> dict:
    """What a metric condition and a points part both read: the metric, how, over which months."""
    metric = _known(values.get("metric", ""), choices.metrics, "metric", wrong)
    agg = _agg_chosen(values, wrong)
    return {"metric": metric, "agg": agg, "window": _window_chosen(values, agg, wrong)}


def _agg_chosen(values, wrong: dict) -> str:
    agg = values.get("agg", "")
    if agg not in AGG_WORDS:
        wrong["agg"] = "Choose how the months are read."
    return agg


def _op_chosen(values, wrong: dict) -> str:
    op = values.get("op", "")
    if op not in OPERATORS:
        wrong["op"] = "Choose a comparison."
    return op


def _window_chosen(values, agg: str, wrong: dict) -> int | str | None:
    window = values.get("window", "")
    if window in FISCAL_WINDOWS:
        if agg == GROWTH:
            wrong["window"] = "Growth compares a number of months with as many before."
            return None
        return window
    return _whole(window, "window", 1, MAX_WINDOW, wrong)


def _known(key: str, known: Mapping, what: str, wrong: dict) -> str:
    if not key:
        wrong[what] = f"Choose a {what}."
    elif key not in known:
        guess = closest(key, known)
        hint = f" (did you mean “{guess}”?)" if guess else ""
        wrong[what] = f"There is no {what} “{key}”{hint}."
    return key


def _whole(text: str, name: str, low: int, high: int, wrong: dict) -> int | None:
    if not re.fullmatch(r"\d{1,7}", text) or not low <= int(text) <= high:
        wrong[name] = f"A whole number from {low} to {high}."
        return None
    return int(text)


_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"-?\d+(\.\d+)?")


def value_parse(text: str, wrong: dict, *, name: str = "value") -> str | None:
    """A threshold as people type it ("1,500,000", "4.5", "95 %") as the rule's plain number."""
    cleaned = re.sub(r"[\s\u00a0\u202f%]", "", text)
    if not cleaned:
        wrong[name] = "Enter a number."
        return None
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.fullmatch(cleaned):
        hint = " Use a point for decimals; commas only group thousands." if "," in text else ""
        wrong[name] = f"“{text}” is not a number.{hint}"
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the patterns above only pass numbers
        wrong[name] = f"“{text}” is not a number."
        return None
    if abs(number) >= Decimal(10) ** 18:
        wrong[name] = "This number is too large."
        return None
    return decimal_text(number)


def same_meaning(rule, other) -> bool:
    """Whether two rules decide alike for every partner as written: a group of one part is that
    part. The builder always has a top group, so a saved bare condition comes back wrapped in
    one; saving it unchanged must not make a new criteria version."""
    return _meaning(parse_rule(rule)) == _meaning(parse_rule(other))


def _meaning(rule: Rule | None):
    if isinstance(rule, AllOf | AnyOf):
        parts = tuple(_meaning(part) for part in rule.parts)
        return parts[0] if len(parts) == 1 else type(rule)(parts)
    if isinstance(rule, PointsCondition):
        parts = tuple(
            PointsWhen(_meaning(part.rule), part.add) if isinstance(part, PointsWhen) else part
            for part in rule.parts
        )
        return PointsCondition(parts, rule.op, rule.value)
    return rule


def value_shown(text: str) -> str:
    """A stored or typed threshold as the builder shows it: thousands grouped."""
    wrong: dict = {}
    number = value_parse(text, wrong)
    if number is None:
        return text
    return format(Decimal(number), ",f")


# What the template draws


@dataclass
class Node:
    path: tuple[int, ...]
    part: Part
    problems: dict[str, str]
    parts: list[Node]
    first: bool
    last: bool
    pieces: list[Piece] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"node:{path_text(self.path)}"

    @property
    def dom_id(self) -> str:
        return "rb-" + ("-".join(str(n) for n in self.path) or "top")

    @property
    def number(self) -> str:
        return _number(self.path)

    @property
    def is_group(self) -> bool:
        return isinstance(self.part, Group)

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def kind(self) -> str:
        return self.part.kind

    @property
    def adds(self) -> list[tuple[str, str]]:
        """(kind, button text) of the parts this group offers to add."""
        kinds = CHILD_KINDS[self.part.kind] if isinstance(self.part, Group) else ()
        return [(kind, ADD_WORDS[kind]) for kind in kinds]

    @property
    def op_choices(self) -> list[tuple[str, str]]:
        return OP_CHOICES

    @property
    def values(self) -> dict[str, str]:
        shown = dict(self.part.fields)
        for name in ("value", "per", "max"):
            if shown.get(name):
                shown[name] = value_shown(shown[name])
        return shown


def draft_nodes(top: Group, problems: Problems, choices: Choices) -> Node:
    return _node(top, (), problems, choices, first=True, last=True)


def _node(part: Part, path, problems: Problems, choices: Choices, *, first, last) -> Node:
    if isinstance(part, Group):
        count = len(part.parts)
        children = [
            _node(p, (*path, n), problems, choices, first=n == 0, last=n == count - 1)
            for n, p in enumerate(part.parts)
        ]
        return Node(path, part, problems.get(path, {}), children, first, last)
    node = Node(path, part, problems.get(path, {}), [], first, last)
    node.pieces = _sentence(node, choices)
    return node


@dataclass(frozen=True)
class Piece:
    """A word of a condition's sentence, or one of its fields."""

    text: str = ""
    field: str = ""
    label: str = ""
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()
    problem: str = ""
    search: bool = False
    multiple: bool = False  # several may be chosen: `value` holds them, joined by commas
    narrow: bool = False
    words: bool = False  # free text, not a number
    prefix: str = ""
    suffix: str = ""

    @property
    def chosen(self) -> list[str]:
        return self.value.split(",") if self.multiple else [self.value]


def _sentence(node: Node, choices: Choices) -> list[Piece]:
    values = node.values
    wrong = node.problems

    called = "Part" if node.kind == "per" else "Condition"

    def select(name, what, options, *, search=False, multiple=False) -> Piece:
        current = values.get(name, "")
        known = dict(options)
        for key in current.split(",") if multiple else [current]:
            if key and key not in known:
                options = [*options, (key, f"{key} (unknown)")]
        return Piece(
            field=name,
            label=f"{called} {node.number}: {what}",
            value=current,
            options=tuple(options),
            problem=wrong.get(name, ""),
            search=search,
            multiple=multiple,
        )

    def number(name, what, **affixes) -> Piece:
        return Piece(
            field=name,
            label=f"{called} {node.number}: {what}",
            value=values.get(name, ""),
            problem=wrong.get(name, ""),
            narrow=name != "value",
            **affixes,
        )

    kind = node.part.kind if isinstance(node.part, Condition) else ""
    if kind == "certification":
        return [
            Piece(text="At least"),
            number("min", "people"),
            Piece(text="people certified in"),
            select(
                "certification",
                "certification (several: any one of them counts)",
                choices.certification_options,
                search=True,
                multiple=True,
            ),
        ]
    if kind == "partner":
        return [
            Piece(text="The partner's"),
            select("partner", "partner attribute", [(a, a) for a in PARTNER_ATTRIBUTES]),
            Piece(text="is one of"),
            Piece(
                field="in",
                label=f"Condition {node.number}: values, commas between them",
                value=values.get("in", ""),
                problem=wrong.get("in", ""),
                words=True,
            ),
        ]
    unit = choices.metrics.get(values.get("metric", ""), ("", "count"))[1]
    prefix, suffix = unit_affixes(unit, choices.currency, values.get("agg", ""))
    reads = [
        select(
            "metric", "metric", [("", "Choose a metric…"), *choices.metric_options], search=True
        ),
        select("agg", "how the months are read", AGG_CHOICES),
        Piece(text="over"),
        select("window", "months read", WINDOW_CHOICES),
    ]
    if kind == "per":
        return [
            number("add", "points"),
            Piece(text="points for every"),
            number("per", "step", prefix=prefix, suffix=suffix),
            Piece(text="of"),
            *reads,
            Piece(text=", at most"),
            number("max", "most points (optional)"),
            Piece(text="points"),
        ]
    return [
        *reads,
        select("op", "comparison", OP_CHOICES),
        number("value", "threshold", prefix=prefix, suffix=suffix),
        Piece(text="with values in at least"),
        number("min_months", "months with a value (optional)"),
        Piece(text="months"),
    ]


def unit_affixes(unit: str, currency: str, agg: str = "") -> tuple[str, str]:
    """What stands before and after a threshold in this metric's unit."""
    if agg == "count":
        return "", "months"
    if agg == GROWTH:
        return "", "%"
    if unit == "currency":
        return currency, ""
    if unit == "percent":
        return "", "%"
    return "", ""


AGG_CHOICES = [(a, AGG_WORDS[a]) for a in (*AGGREGATES, GROWTH)]
WINDOW_CHOICES = [
    *((str(n), window_words(n)) for n in range(1, MAX_WINDOW + 1)),
    *((name, window_words(name)) for name in FISCAL_WINDOWS),
]
OP_CHOICES = [(o, f"is {OP_WORDS[o]}") for o in OPERATORS]


def unit_table(choices: Choices) -> dict[str, list[str]]:
    """metric key → [prefix, suffix] of its thresholds, for the builder's script."""
    return {
        key: list(unit_affixes(unit, choices.currency))
        for key, (_, unit) in choices.metrics.items()
    }


def rule_in_words(rule, choices: Choices) -> str:
    """A rule as one sentence, with the tenant's names (progress.rule_words)."""
    return rule_words(rule, choices.words)
