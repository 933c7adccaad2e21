import datetime

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from partnerhub.queue import QueueUnavailable
from partnerhub.tenancy.access import admin_only, object_or_404, staff_only
from partners.selectors import partner_for_member

from . import services
from .forms import BenefitFormSet, GovernanceForm, HoldForm, MovementPeriodForm, OverrideForm
from .governance import DecisionRefused, demotion_approve, demotion_hold
from .models import CriteriaVersion, PendingDemotion, Program, RecalculationRun, Tier
from .program_file import ProgramFileError
from .programs import (
    program_governance_save,
    rule_change_check,
    tier_benefits_save,
    tier_rule_save,
)
from .rule_builder import (
    DraftError,
    draft_edit,
    draft_from_post,
    draft_from_rule,
    draft_nodes,
    draft_rule,
    rule_in_words,
    same_meaning,
    unit_table,
)
from .selectors import (
    active_overrides,
    demotions_decided,
    demotions_waiting,
    movement_counts,
    movements,
    open_data,
    partner_tracks,
    rule_builder_choices,
    tier_distribution,
    track_shown,
)
from .tasks import run_progress_key


@staff_only
def tiers_dashboard(request):
    programs = list(Program.objects.order_by("name"))
    if not programs:
        return render(request, "tiers/dashboard.html", {"programs": []})
    program = programs[0]
    if request.GET.get("program"):
        program = next((p for p in programs if str(p.pk) == request.GET["program"]), program)
    today = request.tenant.local_today()
    period = MovementPeriodForm(request.GET or None)
    period.is_valid()
    first = period.cleaned_data.get("first") if period.is_bound and period.is_valid() else None
    last = period.cleaned_data.get("last") if period.is_bound and period.is_valid() else None
    first, last = first or today - datetime.timedelta(days=30), last or today
    distribution = tier_distribution(program)
    context = {
        "programs": programs,
        "program": program,
        "distribution": distribution,
        "largest": max((n for _, n in distribution), default=0) or 1,
        "period": period,
        "first": first,
        "last": last,
        "counts": _movement_totals(movement_counts(program=program, first=first, last=last)),
        "movements": movements(program=program, first=first, last=last)[:100],
        "overrides": active_overrides(program, today),
        "runs": RecalculationRun.objects.filter(program=program).select_related("started_by")[:5],
        "undoable": services.undoable_run(program),
        "waiting": open_data(program, today),
    }
    return render(request, "tiers/dashboard.html", context)


def _movement_totals(counts: dict[str, int]) -> dict[str, int]:
    return {
        "placed": counts.get("placed", 0),
        "promoted": counts.get("promotion", 0),
        "demoted": counts.get("demotion", 0) + counts.get("grace_expiry", 0),
        "at_risk": counts.get("at_risk", 0),
        "overridden": counts.get("override", 0),
    }


@staff_only
def program_detail(request, program_pk: int):
    program = object_or_404(Program.objects.all(), program_pk)
    tiers = program.tiers.prefetch_related("benefits").order_by("-rank")
    choices = rule_builder_choices(currency=request.tenant.currency)
    context = {
        "program": program,
        "tiers": [(tier, rule_in_words(tier.rule, choices)) for tier in tiers],
        "versions": CriteriaVersion.objects.filter(program=program).select_related("created_by")[
            :20
        ],
    }
    return render(request, "tiers/program_detail.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def program_governance(request, program_pk: int):
    program = object_or_404(Program.objects.all(), program_pk)
    initial = {
        "demotions": program.demotions,
        "demotion_approval": program.demotion_approval,
        "require_closed_months": program.require_closed_months,
        "fiscal_year_start": request.tenant.fiscal_year_start,
    }
    form = GovernanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        program.tenant = request.tenant
        changed = program_governance_save(program=program, by=request.user, **form.cleaned_data)
        messages.success(
            request,
            f"Saved as criteria version {program.version}." if changed else "Nothing changed.",
        )
        return redirect("program_detail", tenant_slug=request.tenant.slug, program_pk=program.pk)
    return render(request, "tiers/governance_edit.html", {"program": program, "form": form})


@admin_only
@require_http_methods(["GET", "POST"])
def tier_rule_edit(request, program_pk: int, tier_pk: int):
    """The rule builder. GET draws the saved rule; a POST with `edit` adds, removes or moves a
    part and draws the builder again; `action` previews (the what-if) or saves."""
    program = object_or_404(Program.objects.all(), program_pk)
    tier = object_or_404(program.tiers.all(), tier_pk)
    choices = rule_builder_choices(currency=request.tenant.currency)
    page = {"program": program, "tier": tier, "choices": choices}
    if request.method == "GET":
        always, top = draft_from_rule(tier.rule)
        return _rule_builder(request, page, always, top)
    try:
        always, top = draft_from_post(request.POST)
        if request.POST.get("edit"):
            top, focus = draft_edit(top, request.POST["edit"])
            return _rule_builder(request, page, always, top, focus=focus)
    except DraftError as error:
        always, top = draft_from_rule(tier.rule)
        return _rule_builder(request, page, always, top, problem=f"The rule was not read: {error}")
    rule, problems = draft_rule(always, top, choices)
    problem, warnings = None, []
    if not problems:
        try:
            warnings = rule_change_check(tier=tier, rule=rule)
        except ProgramFileError as error:
            problem = str(error)
    ready = not problems and problem is None
    if request.POST.get("action") == "preview":
        if not ready:
            builder = _rule_builder_context(page, always, top, problems, problem)
            return render(request, "tiers/partials/what_if.html", {**builder, "oob": True})
        result = services.placements_recalculate(
            program=program,
            as_of=request.tenant.local_today(),
            dry_run=True,
            proposed={tier.key: rule},
        )
        context = {
            "result": result,
            "tier": tier,
            "warnings": warnings,
            "matrix": _transition_matrix(program, result),
            "rule_now": rule_in_words(tier.rule, choices),
            "rule_proposed": rule_in_words(rule, choices),
        }
        return render(request, "tiers/partials/what_if.html", context)
    if ready:
        if same_meaning(rule, tier.rule):
            rule = tier.rule
        changed = tier_rule_save(tier=tier, rule=rule, by=request.user)
        _say_saved(request, program, f"{tier.name} criteria", changed)
        for warning in warnings:
            messages.warning(request, f"Saved, but check: {warning}")
        return redirect("program_detail", tenant_slug=request.tenant.slug, program_pk=program.pk)
    return _rule_builder(request, page, always, top, problems=problems, problem=problem)


def _rule_builder(request, page, always, top, *, problems=None, problem=None, focus=None):
    """The whole page, or only the builder when htmx asked for it."""
    context = _rule_builder_context(page, always, top, problems or {}, problem, focus)
    template = "tiers/partials/rule_builder.html" if request.htmx else "tiers/rule_edit.html"
    return render(request, template, context)


def _rule_builder_context(page, always, top, problems, problem, focus=None) -> dict:
    return {
        **page,
        "always": always,
        "top": draft_nodes(top, problems, page["choices"]),
        "units": unit_table(page["choices"]),
        "problems": problems,
        "problem": problem,
        "problem_count": sum(len(fields) for fields in problems.values()),
        "focus": focus,
    }


def _transition_matrix(program: Program, result: services.RunSummary) -> dict:
    """Rows and columns of tiers (highest first, then none) with each cell's partner count, and
    each change with its tiers' names."""
    names = dict(program.tiers.order_by("-rank").values_list("key", "name"))
    keys = [*names, None]
    rows = [
        (names.get(before), [result.transitions.get((before, after), 0) for after in keys])
        for before in keys
    ]
    changes = [
        (change, names.get(change.from_tier), names.get(change.to_tier))
        for change in result.changes
    ]
    return {"tiers": [names.get(key) for key in keys], "rows": rows, "changes": changes}


def _say_saved(request, program: Program, what: str, changed: bool) -> None:
    """The program instance may be stale (the save bumped its version through another one)."""
    program.refresh_from_db(fields=["version"])
    text = f"{what} saved as version {program.version}." if changed else "Nothing changed."
    messages.success(request, text)


@admin_only
@require_http_methods(["GET", "POST"])
def program_run(request, program_pk: int):
    """GET asks for confirmation (how many partners, and that e-mails go out); POST starts."""
    program = object_or_404(Program.objects.all(), program_pk)
    today = request.tenant.local_today()
    dashboard = reverse("tiers_dashboard", kwargs={"tenant_slug": request.tenant.slug})
    waiting = open_data(program, today)
    confirmed = request.POST.get("open_months") == "confirmed"
    if request.method == "GET" or (waiting and not confirmed):
        context = {
            "program": program,
            "today": today,
            "partners": program.placements.count(),
            "dashboard": f"{dashboard}?program={program.pk}",
            "waiting": waiting,
            "unconfirmed": request.method == "POST",
        }
        return render(request, "tiers/run_confirm.html", context)
    try:
        services.recalculation_queue(program=program, as_of=today, started_by=request.user)
    except QueueUnavailable as unavailable:
        messages.error(request, str(unavailable))
    else:
        messages.success(request, f"Recalculation of {program.name} for {today:%d %B %Y} started.")
    return redirect(f"{dashboard}?program={program.pk}")


@admin_only
@require_http_methods(["GET", "POST"])
def program_undo(request, program_pk: int):
    """GET asks for confirmation, naming the run; POST undoes it."""
    program = object_or_404(Program.objects.all(), program_pk)
    dashboard = reverse("tiers_dashboard", kwargs={"tenant_slug": request.tenant.slug})
    dashboard = f"{dashboard}?program={program.pk}"
    if request.method == "GET":
        run = services.undoable_run(program)
        context = {"program": program, "run": run, "dashboard": dashboard}
        return render(request, "tiers/undo_confirm.html", context)
    try:
        run = services.recalculation_undo(program=program, by=request.user)
    except services.RecalculationRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, f"The run of {run.as_of:%d %B %Y} is undone; every partner is back."
        )
    return redirect(dashboard)


@staff_only
def run_status(request, run_pk: int):
    run = object_or_404(RecalculationRun.objects.select_related("program", "started_by"), run_pk)
    percent = cache.get(run_progress_key(run.pk), 0)
    return render(request, "tiers/partials/run_row.html", {"run": run, "percent": percent})


@staff_only
@require_http_methods(["GET", "POST"])
def partner_override(request, partner_pk: int):
    """Hold a partner at a tier of one of its programs (`?program=KEY`; the first by name when
    none is named), or end the hold."""
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    tracks = partner_tracks(partner.pk)
    if not tracks:
        messages.error(request, f"{partner.name} is in no program.")
        return redirect("partner_detail", tenant_slug=request.tenant.slug, partner_pk=partner.pk)
    placement = track_shown(tracks, request.GET.get("program") or request.POST.get("program"))
    if placement is None:
        raise Http404("The partner is not in that program.")
    program = placement.program
    back = reverse(
        "partner_detail", kwargs={"tenant_slug": request.tenant.slug, "partner_pk": partner.pk}
    )
    back += f"?program={program.key}" if len(tracks) > 1 else ""
    tiers = Tier.objects.filter(program=program).order_by("-rank")
    form = OverrideForm(request.POST or None, tiers=tiers)
    if request.method == "POST" and request.POST.get("action") == "clear":
        try:
            placement = services.placement_override_clear(
                partner=partner, program=program, today=request.tenant.local_today()
            )
        except services.NoOverride as error:
            messages.error(request, str(error))
        else:
            now = placement.tier.name if placement.tier else "no tier"
            messages.success(request, f"The override of {partner.name} ended: back at {now}.")
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            services.placement_override(
                partner=partner,
                tier=form.cleaned_data["tier"],
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                today=request.tenant.local_today(),
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{partner.name} held at {form.cleaned_data['tier'].name}.")
            return redirect(back)
    restores_to = None
    if placement.before_override.get("tier"):
        restores_to = tiers.filter(pk=placement.before_override["tier"]).first()
    context = {
        "partner": partner,
        "form": form,
        "placement": placement,
        "tracks": tracks,
        "today": request.tenant.local_today(),
        "restores_to": restores_to,
        "grace_days": program.grace_days,
    }
    return render(request, "tiers/override.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def tier_benefits_edit(request, program_pk: int, tier_pk: int):
    program = object_or_404(Program.objects.all(), program_pk)
    tier = object_or_404(program.tiers.all(), tier_pk)
    initial = list(tier.benefits.values("title", "kind", "value", "description"))
    formset = BenefitFormSet(request.POST or None, initial=initial, prefix="benefits")
    if request.method == "POST" and formset.is_valid():
        # Untouched extra rows clean to {}; deleted rows are marked.
        kept = [
            form.cleaned_data
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        changed = tier_benefits_save(tier=tier, benefits=kept, by=request.user)
        _say_saved(request, program, f"{tier.name} benefits", changed)
        return redirect("program_detail", tenant_slug=request.tenant.slug, program_pk=program.pk)
    return render(
        request, "tiers/benefits_edit.html", {"program": program, "tier": tier, "formset": formset}
    )


@staff_only
def demotion_queue(request, hold_form=None, holding=None):
    """Due demotions of programs that want approval: approve or hold each."""
    context = {
        "waiting": list(demotions_waiting()),
        "decided": demotions_decided(),
        "hold_form": hold_form or HoldForm(),
        "holding": holding,
    }
    return render(request, "tiers/demotion_queue.html", context)


@staff_only
@require_http_methods(["GET", "POST"])
def demotion_decide(request, pending_pk: int):
    object_or_404(PendingDemotion.objects.all(), pending_pk)  # another tenant's: 404
    if request.method == "GET":
        return redirect("demotion_queue", tenant_slug=request.tenant.slug)
    today = request.tenant.local_today()
    action = request.POST.get("action")
    try:
        if action == "approve":
            pending = demotion_approve(pending_id=pending_pk, by=request.user, today=today)
            moved_to = pending.to_tier.name if pending.to_tier else "no tier"
            messages.success(request, f"{pending.partner.name} moves to {moved_to} today.")
        elif action == "hold":
            form = HoldForm(request.POST)
            if not form.is_valid():
                return demotion_queue(request, hold_form=form, holding=pending_pk)
            pending = demotion_hold(
                pending_id=pending_pk,
                by=request.user,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                today=today,
            )
            messages.success(
                request,
                f"{pending.partner.name} stays at {pending.from_tier.name} until "
                f"{pending.hold_until:%-d %B %Y}.",
            )
        else:
            messages.error(request, "Choose approve or hold.")
    except DecisionRefused as refused:
        messages.error(request, str(refused))
    return redirect("demotion_queue", tenant_slug=request.tenant.slug)
