"""The criteria editor: a tier's rule as rows of a form, never typed as JSON.

A rule is a top-level group (all / any) of condition rows; a row may instead belong to one of
three sub-groups, each with its own all / any, which sit inside the top-level group. That covers
rules like "revenue ≥ X and (2 certified people or CSAT ≥ 4.5)".
"""

from decimal import Decimal

from django import forms

from metrics.models import Metric
from training.models import Certification

from .engine import AGGREGATES, OPERATORS, RuleError, parse_rule
from .models import BenefitKind
from .program_file import DISCOUNT_PROBLEM, discount_percent
from .progress import AGG_WORDS

GROUPS = [(0, "Top level"), (1, "Group 1"), (2, "Group 2"), (3, "Group 3")]
COMBINATORS = [("all", "all of"), ("any", "any of")]


class RuleHeaderForm(forms.Form):
    always = forms.BooleanField(required=False, label="Every partner qualifies (no criteria)")
    top = forms.ChoiceField(choices=COMBINATORS, initial="all", label="A partner qualifies with")
    group_1 = forms.ChoiceField(choices=COMBINATORS, initial="any", label="Group 1 holds with")
    group_2 = forms.ChoiceField(choices=COMBINATORS, initial="any", label="Group 2 holds with")
    group_3 = forms.ChoiceField(choices=COMBINATORS, initial="any", label="Group 3 holds with")


class ConditionForm(forms.Form):
    group = forms.TypedChoiceField(choices=GROUPS, coerce=int, initial=0)
    kind = forms.ChoiceField(
        choices=[("metric", "Metric"), ("certification", "Certified people")], initial="metric"
    )
    metric = forms.ChoiceField(required=False)
    agg = forms.ChoiceField(
        choices=[("", "—"), *((a, AGG_WORDS[a]) for a in AGGREGATES)],
        required=False,
        label="of the",
    )
    window = forms.IntegerField(min_value=1, max_value=36, required=False, label="over months")
    op = forms.ChoiceField(
        choices=[("", "—"), *((o, o) for o in OPERATORS)], required=False, label="is"
    )
    value = forms.DecimalField(required=False, max_digits=24, decimal_places=6)
    certification = forms.ChoiceField(required=False)
    min = forms.IntegerField(min_value=0, required=False, label="at least (people)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            ("", "—"),
            *Metric.objects.order_by("name").values_list("key", "name"),
        ]
        self.fields["certification"].choices = [
            ("", "—"),
            *Certification.objects.order_by("name").values_list("key", "name"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("DELETE") or not self.has_changed():
            return data
        required = (
            ("metric", "agg", "window", "op", "value")
            if data.get("kind") == "metric"
            else ("certification", "min")
        )
        for name in required:
            if data.get(name) in (None, ""):
                self.add_error(name, "Required for this kind of condition.")
        return data

    def as_rule(self) -> dict:
        data = self.cleaned_data
        if data["kind"] == "certification":
            return {"certification": data["certification"], "min": data["min"]}
        return {
            "metric": data["metric"],
            "agg": data["agg"],
            "window": data["window"],
            "op": data["op"],
            "value": _plain(data["value"]),
        }


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, can_delete=True)


def form_problems(header: RuleHeaderForm, conditions) -> list[str]:
    """Every error of the editor, each naming its condition row and field."""
    problems = [
        f"{header.fields[name].label}: {e}" for name, errs in header.errors.items() for e in errs
    ]
    problems += list(conditions.non_form_errors())
    for row, form in enumerate(conditions.forms, start=1):
        for name, errors in form.errors.items():
            label = form[name].label if name in form.fields else name
            problems += [f"Condition {row}, {label}: {error}" for error in errors]
    return problems


def rule_from_forms(header: RuleHeaderForm, conditions) -> dict | None:
    """The rule JSON the forms describe (both already valid); RuleError if the engine refuses it."""
    if header.cleaned_data["always"]:
        return None
    top: list = []
    groups: dict[int, list] = {1: [], 2: [], 3: []}
    for form in conditions.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        target = top if form.cleaned_data["group"] == 0 else groups[form.cleaned_data["group"]]
        target.append(form.as_rule())
    for number, parts in groups.items():
        if parts:
            top.append({header.cleaned_data[f"group_{number}"]: parts})
    rule = {header.cleaned_data["top"]: top}
    parse_rule(rule)  # the engine's own check, as a last word
    return rule


def forms_from_rule(rule) -> tuple[dict, list[dict]]:
    """Initial data for the editor from a stored rule."""
    if rule is None:
        return {"always": True}, []
    kind = "all" if "all" in rule else "any" if "any" in rule else None
    header = {"top": kind or "all"}
    rows: list[dict] = []
    parts = rule[kind] if kind else [rule]
    group_number = 0
    for part in parts:
        inner = "all" if "all" in part else "any" if "any" in part else None
        if inner is None:
            rows.append(_row(part, 0))
            continue
        group_number += 1
        if group_number > 3:
            raise RuleError("rule", "has more than three groups; edit it with load_program")
        header[f"group_{group_number}"] = inner
        for condition in part[inner]:
            if "all" in condition or "any" in condition:
                raise RuleError(
                    "rule", "nests groups deeper than the editor shows; use load_program"
                )
            rows.append(_row(condition, group_number))
    return header, rows


def _row(condition: dict, group: int) -> dict:
    if "certification" in condition:
        return {
            "group": group,
            "kind": "certification",
            "certification": condition["certification"],
            "min": condition["min"],
        }
    return {
        "group": group,
        "kind": "metric",
        "metric": condition["metric"],
        "agg": condition["agg"],
        "window": condition["window"],
        "op": condition["op"],
        "value": Decimal(str(condition["value"])),
    }


class OverrideForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=None)
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Until (exclusive)"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers


class MovementPeriodForm(forms.Form):
    first = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    last = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )


class BenefitForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=BenefitKind.choices, initial=BenefitKind.OTHER)
    value = forms.CharField(max_length=100, required=False, help_text="e.g. 12 % or $10,000 a year")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == BenefitKind.DISCOUNT and discount_percent(data.get("value")) is None:
            self.add_error("value", DISCOUNT_PROBLEM[0].upper() + DISCOUNT_PROBLEM[1:] + ".")
        return data


BenefitFormSet = forms.formset_factory(BenefitForm, extra=2, can_delete=True)
