"""The criteria editor is a rule builder: groups nest, parts move, each problem sits by its part."""

from html.parser import HTMLParser

import pytest
from django_scopes import scope

from tiers.models import Program
from tiers.rule_builder import (
    Choices,
    Condition,
    DraftError,
    Group,
    draft_edit,
    draft_from_post,
    draft_from_rule,
    draft_rule,
    same_meaning,
    value_parse,
)

CHOICES = Choices(
    metrics={"revenue": ("Revenue", "currency"), "csat": ("CSAT", "score")},
    certifications={"sales-pro": "Sales Professional"},
    currency="EUR",
)
REVENUE = {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": "1500000"}
CSAT = {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "4.5"}
CERTIFIED = {"certification": "sales-pro", "min": 2}


def test_a_stored_rule_comes_back_from_the_builder_as_it_was():
    rule = {"all": [REVENUE, {"any": [CERTIFIED, {"all": [CSAT, REVENUE]}]}]}
    always, top = draft_from_rule(rule)
    assert draft_rule(always, top, CHOICES) == (rule, {})
    assert draft_rule(*draft_from_rule(None), CHOICES) == (None, {})


def test_parts_are_added_moved_and_removed_by_path():
    _, top = draft_from_rule({"all": [REVENUE, {"any": [CERTIFIED, CSAT]}]})
    top, focus = draft_edit(top, "add-group:1")
    assert focus == (1, 2)
    assert top.parts[1].parts[2] == Group("any", [Condition("metric", _blank_metric())])
    top, focus = draft_edit(top, "up:1")
    assert focus == (0,) and isinstance(top.parts[0], Group), "the group moved above revenue"
    top, focus = draft_edit(top, "down:0")
    assert focus == (1,) and top.parts[0].kind == "metric", "the group moved below again"
    top, focus = draft_edit(top, "up:0")
    assert focus == (0,) and top.parts[0].kind == "metric", "the first part cannot go higher"
    top, focus = draft_edit(top, "down:1")
    assert focus == (1,), "nor the last lower"
    top, focus = draft_edit(top, "remove:1.2")
    assert focus == (1,) and len(top.parts[1].parts) == 2
    with pytest.raises(DraftError, match=r"there is no part '4\.0' to edit"):
        draft_edit(top, "remove:4.0")
    with pytest.raises(DraftError, match="the top group can only be added to"):
        draft_edit(top, "remove:")


def _blank_metric():
    return {"metric": "", "agg": "sum", "window": "12", "op": ">=", "value": "", "min_months": ""}


def test_a_new_part_is_a_problem_until_it_is_filled_in_and_an_empty_group_is_one_too():
    _, top = draft_from_rule({"all": [REVENUE]})
    top, _ = draft_edit(top, "add-certification:")
    top, _ = draft_edit(top, "add-group:")
    draft_edit(top, "remove:2.0")
    rule, problems = draft_rule(False, top, CHOICES)
    assert rule is None
    assert problems == {
        (1,): {"certification": "Choose a certification."},
        (2,): {"group": "This group is empty: add a condition or remove it."},
    }
    assert draft_rule(False, Group(), CHOICES)[1] == {
        (): {"group": "No conditions yet: add one, or tick “Every partner qualifies”."}
    }


@pytest.mark.parametrize(
    ("typed", "number", "problem"),
    [
        ("1,500,000", "1500000", None),
        ("1 500 000", "1500000", None),
        ("95 %", "95", None),
        ("4.50", "4.5", None),
        ("-12", "-12", None),
        (
            "1,5",
            None,
            "“1,5” is not a number. Use a point for decimals; commas only group thousands.",
        ),
        ("lots", None, "“lots” is not a number."),
        ("", None, "Enter a number."),
    ],
)
def test_a_threshold_is_read_as_people_type_it(typed, number, problem):
    wrong: dict = {}
    assert value_parse(typed, wrong) == number
    assert wrong.get("value") == problem


def test_a_posted_tree_that_is_not_a_tree_is_refused_by_name():
    with pytest.raises(DraftError, match=r"part 2\.1 is not inside a group"):
        draft_from_post({"node:1.0:type": "metric"})
    with pytest.raises(DraftError, match="part 1 has no type"):
        draft_from_post({"node:0:metric": "revenue"})
    with pytest.raises(DraftError, match="a group holds with “all” or “any”, not “most”"):
        draft_from_post({"node::combinator": "most"})


def test_a_bare_condition_and_a_group_of_it_mean_the_same():
    assert same_meaning(REVENUE, {"all": [REVENUE]})
    assert same_meaning({"any": [REVENUE, {"all": [CSAT]}]}, {"any": [REVENUE, CSAT]})
    assert not same_meaning({"all": [REVENUE, CSAT]}, {"any": [REVENUE, CSAT]})
    assert not same_meaning(REVENUE, None)


class _FormFields(HTMLParser):
    """The fields a browser posts for a page's form, as it shows them."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[attrs["name"]] = "on"
            else:
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs["name"]
        elif (
            tag == "option"
            and self._select
            and (self._select not in self.fields or "selected" in attrs)
        ):
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_fields(html: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


@pytest.mark.parametrize("tier_key", ["registered", "silver", "gold"])
def test_saving_the_builder_as_it_opens_changes_nothing(program, tier_key):
    """What the browser posts for an untouched rule is that rule, bare conditions included."""
    with scope(tenant=program.tenant):
        tier = Program.objects.get().tiers.get(key=tier_key)
        rule = tier.rule
    client = program.client_for(program.admin)
    url = f"/o/acme/tiers/programs/{tier.program_id}/tiers/{tier.pk}/criteria/"
    fields = page_fields(client.get(url).content.decode())
    response = client.post(url, {**fields, "action": "save"}, follow=True)
    assert "Nothing changed." in response.content.decode()
    with scope(tenant=program.tenant):
        tier.refresh_from_db()
    assert tier.rule == rule


def test_the_builder_adds_a_group_in_place_and_puts_focus_in_it(program):
    with scope(tenant=program.tenant):
        gold = Program.objects.get().tiers.get(key="gold")
    client = program.client_for(program.admin)
    url = f"/o/acme/tiers/programs/{gold.program_id}/tiers/{gold.pk}/criteria/"
    fields = page_fields(client.get(url).content.decode())
    response = client.post(url, {**fields, "edit": "add-group:"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.startswith('<div id="rule-builder"'), "only the builder is drawn again"
    assert "Group 4:" in page
    assert 'name="node:3:combinator" id="rb-3-combinator" class="inline-select" autofocus>' in page
    assert '<select name="node:3.0:metric" id="rb-3-0-metric" data-search>' in page
    fields = page_fields(page)
    moved = client.post(url, {**fields, "edit": "up:3"}, headers={"HX-Request": "true"})
    assert page_fields(moved.content.decode())["node:2:type"] == "group"
    removed = client.post(url, {**fields, "edit": "remove:0"}, headers={"HX-Request": "true"})
    assert page_fields(removed.content.decode())["node:0:metric"] == "csat"


def test_a_what_if_says_the_rule_today_and_the_proposed_one_in_words(program):
    with scope(tenant=program.tenant):
        gold = Program.objects.get().tiers.get(key="gold")
    client = program.client_for(program.admin)
    url = f"/o/acme/tiers/programs/{gold.program_id}/tiers/{gold.pk}/criteria/"
    fields = page_fields(client.get(url).content.decode())
    fields["node::combinator"] = "any"
    response = client.post(url, {**fields, "action": "preview"}, headers={"HX-Request": "true"})
    assert response.context["rule_now"] == (
        "Revenue total over the last 12 months is at least EUR 250,000 and CSAT average over "
        "the last 6 months is at least 4.20 and at least 2 people certified in Sales Professional"
    )
    assert response.context["rule_proposed"].startswith(
        "Revenue total over the last 12 months is at least EUR 250,000 or CSAT"
    )


def test_a_tampered_post_is_refused_with_its_reason_and_saves_nothing(program):
    with scope(tenant=program.tenant):
        gold = Program.objects.get().tiers.get(key="gold")
    client = program.client_for(program.admin)
    url = f"/o/acme/tiers/programs/{gold.program_id}/tiers/{gold.pk}/criteria/"
    response = client.post(url, {"node:1.0:type": "metric", "action": "save"})
    assert response.status_code == 200
    assert "The rule was not read: part 2.1 is not inside a group" in response.content.decode()
    with scope(tenant=program.tenant):
        assert Program.objects.get().version == 1
