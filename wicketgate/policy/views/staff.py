"""The policy pages: the catalogue, the rules with their Cedar text, proposals and their
approval (four eyes), and the "why?" tool.

Anyone who may view records somewhere sees the catalogue (it is one for the estate),
the estate-wide rules and the rules of their own establishments; a rule elsewhere is a
404. Proposing needs Action.PROPOSE_POLICY (for a prisoner's exception, at the prisoner's
establishment: anyone else gets a 404, as for a prisoner they cannot see); the queue shows the proposals of the
establishments where the user may propose or approve, and their own. Nothing here
changes the policy directly: every form makes a proposal, and only its approval by a
second person, in ``policy.proposals``, applies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_somewhere
from wicketgate.audit.log import Actor
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.estate.models import Establishment
from wicketgate.people.codes import LegalStatus, SecurityCategory
from wicketgate.people.models import Prisoner
from wicketgate.policy.codes import Clearance
from wicketgate.policy.compiler import GENERIC_POLICIES, _rule_meta, rule_to_cedar
from wicketgate.policy.engine import UnknownPrisoner, engine
from wicketgate.policy.explain import Explanation, explain
from wicketgate.policy.forms import (
    DecisionForm,
    ExceptionProposalForm,
    ProposalForm,
    ReasonForm,
    RuleProposalForm,
    SiteFilterForm,
    SiteProposalForm,
    WhyForm,
)
from wicketgate.policy.hosts import BadResource
from wicketgate.policy.models import AccessRule, Category, PolicyProposal, PrisonerException, Site
from wicketgate.policy.proposals import (
    ProposalError,
    ProposalRefused,
    check_policy_change,
    do_approve_policy_proposal,
    do_propose_policy_change,
    do_reject_policy_proposal,
    do_withdraw_policy_proposal,
    exception_entry,
    rule_cedar,
    rule_entry,
    site_entry,
)
from wicketgate.policy.queries import may_decide, visible_proposals, visible_rules
from wicketgate.policy.text import (
    BUILT_IN_RULES,
    anchor,
    diff_rows,
    entry_rows,
    proposal_title,
    rule_summary,
)
from wicketgate.web.decorators import staff_required
from wicketgate.web.switcher import current_establishment

PER_PAGE = 50
REVIEW_SOON = dt.timedelta(days=60)
DECIDED_SHOWN = 20
Kind = PolicyProposal.Kind


def may(*actions: str) -> Callable[..., Any]:
    """The user may do one of ``actions`` somewhere, or gets a 404. Goes beneath staff_required."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not any(may_somewhere(request.user, action) for action in actions):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- the catalogue -----------------------------------------------------------------------------


@require_GET
@staff_required
@may(Action.VIEW)
def site_list(request: HttpRequest) -> HttpResponse:
    form = SiteFilterForm(
        request.GET if set(request.GET) & set(SiteFilterForm.base_fields) else None
    )
    chosen: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # the filters that are valid still apply
        chosen = {name: value for name, value in form.cleaned_data.items() if value}
    today = timezone.localdate()
    sites = Site.objects.select_related("category")
    status = chosen.get("status")
    if status == "retired":
        sites = sites.filter(retired_at__isnull=False)
    elif status != "all":
        sites = sites.filter(retired_at__isnull=True)
    if "q" in chosen:
        text = chosen["q"].strip()
        sites = sites.filter(
            Q(name__icontains=text)
            | Q(hosts__icontains=text)
            | Q(paths__icontains=text)
            | Q(category__name__icontains=text)
        )
    if "category" in chosen:
        sites = sites.filter(category=chosen["category"])
    if chosen.get("review") == "overdue":
        sites = sites.filter(review_by__lt=today)
    elif chosen.get("review") == "soon":
        sites = sites.filter(review_by__lte=today + REVIEW_SOON)
    paginator = Paginator(sites, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return _render(
        request,
        "policy/staff/sites.html",
        {
            "form": form,
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ellipsis": Paginator.ELLIPSIS,
            "today": today,
            "soon": today + REVIEW_SOON,
            "filtered": bool(chosen),
            "can_propose": may_somewhere(request.user, Action.PROPOSE_POLICY),
        },
    )


@require_GET
@staff_required
@may(Action.VIEW)
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(Site.objects.select_related("category"), pk=site_id)
    proposals = (
        visible_proposals(request.user)
        .filter(kind__in=[Kind.SITE, Kind.RETIRE_SITE], payload__name=site.name)
        .select_related("proposed_by", "decided_by", "establishment")
        .order_by("-proposed_at")[:DECIDED_SHOWN]
    )
    return _render(
        request,
        "policy/staff/site.html",
        {
            "site": site,
            "rows": entry_rows(Kind.SITE, site_entry(site), _category_names()),
            "overdue": site.review_overdue(timezone.localdate()),
            "proposals": [(p, proposal_title(p)) for p in proposals],
            "can_propose": may_somewhere(request.user, Action.PROPOSE_POLICY),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def propose_site(request: HttpRequest) -> HttpResponse:
    form = SiteProposalForm(
        _posted(request), establishments=_deciders(request), initial=_decider_initial(request)
    )
    return _propose(request, form, Kind.SITE, "policy/staff/site_form.html", {"site": None})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def change_site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(Site.objects.select_related("category"), pk=site_id)
    form = SiteProposalForm(
        _posted(request),
        establishments=_deciders(request),
        initial={**SiteProposalForm.initial_from(site_entry(site)), **_decider_initial(request)},
        fixed_name=site.name,
    )
    return _propose(request, form, Kind.SITE, "policy/staff/site_form.html", {"site": site})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def retire_site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(Site.objects.filter(retired_at__isnull=True), pk=site_id)
    form = ReasonForm(
        _posted(request), establishments=_deciders(request), initial=_decider_initial(request)
    )
    return _propose(
        request,
        form,
        Kind.RETIRE_SITE,
        "policy/staff/retire_site.html",
        {"site": site},
        payload={"name": site.name},
    )


# --- rules -------------------------------------------------------------------------------------


@require_GET
@staff_required
@may(Action.VIEW)
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = visible_rules(request.user).select_related("establishment")
    current = current_establishment(request)
    if current is not None:
        rules = rules.filter(Q(establishment__isnull=True) | Q(establishment=current))
    names = _category_names()
    proposable = set(
        visible_rules(request.user, Action.PROPOSE_POLICY).values_list("pk", flat=True)
    )
    groups: dict[Establishment | None, list[dict[str, Any]]] = {}
    for rule in sorted(
        rules,
        key=lambda r: (
            r.establishment is not None,
            r.establishment.name if r.establishment else "",
            r.rule_id,
        ),
    ):
        entry = rule_entry(rule)
        groups.setdefault(rule.establishment, []).append(
            {
                "rule": rule,
                "anchor": anchor(rule.policy_id),
                "summary": rule_summary(entry, names),
                "rows": entry_rows(Kind.RULE, entry, names),
                "cedar": rule_to_cedar(_rule_meta(rule)),
                "can_propose": rule.pk in proposable,
            }
        )
    return _render(
        request,
        "policy/staff/rules.html",
        {
            "groups": list(groups.items()),
            "current": current,
            "built_in": [(anchor(key), key, text) for key, text in BUILT_IN_RULES.items()],
            "generic_cedar": GENERIC_POLICIES.strip(),
            "can_propose": may_somewhere(request.user, Action.PROPOSE_POLICY),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def propose_rule(request: HttpRequest) -> HttpResponse:
    form = RuleProposalForm(
        _posted(request),
        establishments=_deciders(request),
        initial={"effect": "allow", **_decider_initial(request)},
    )
    return _propose(request, form, Kind.RULE, "policy/staff/rule_form.html", {"rule": None})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def change_rule(request: HttpRequest, rule_pk: int) -> HttpResponse:
    rule = _rule_to_propose(request, rule_pk)
    form = RuleProposalForm(
        _posted(request),
        establishments=_deciders(request, rule.establishment),
        initial=RuleProposalForm.initial_from(rule_entry(rule)),
        fixed=rule,
    )
    return _propose(
        request,
        form,
        Kind.RULE,
        "policy/staff/rule_form.html",
        {"rule": rule, "cedar": rule_to_cedar(_rule_meta(rule))},
        establishment=rule.establishment,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@may(Action.PROPOSE_POLICY)
def remove_rule(request: HttpRequest, rule_pk: int) -> HttpResponse:
    rule = _rule_to_propose(request, rule_pk)
    return _propose(
        request,
        ReasonForm(_posted(request)),
        Kind.DELETE_RULE,
        "policy/staff/remove_rule.html",
        {
            "rule": rule,
            "summary": rule_summary(rule_entry(rule), _category_names()),
            "cedar": rule_to_cedar(_rule_meta(rule)),
        },
        payload={"id": rule.rule_id},
        establishment=rule.establishment,
    )


# --- a prisoner's exceptions ------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def propose_exception(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner_to_propose_for(request, prison_number)
    form = ExceptionProposalForm(
        _posted(request), prisoner=prisoner, initial={"effect": "allow", "target": "site"}
    )
    return _propose(
        request,
        form,
        Kind.EXCEPTION,
        "policy/staff/exception_form.html",
        {"prisoner": prisoner},
        establishment=prisoner.establishment,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def revoke_exception(request: HttpRequest, prison_number: str, exception_id: int) -> HttpResponse:
    prisoner = _prisoner_to_propose_for(request, prison_number)
    exception = get_object_or_404(
        PrisonerException.objects.filter(prisoner=prisoner, revoked_at__isnull=True),
        pk=exception_id,
    )
    entry = exception_entry(exception)
    return _propose(
        request,
        ReasonForm(_posted(request)),
        Kind.REVOKE_EXCEPTION,
        "policy/staff/revoke_exception.html",
        {
            "prisoner": prisoner,
            "exception": exception,
            "rows": entry_rows(Kind.EXCEPTION, entry, _category_names())[1:],  # not the number
        },
        payload={"exception": exception.pk},
        establishment=prisoner.establishment,
    )


# --- proposals and their approval --------------------------------------------------------------


@require_GET
@staff_required
@may(Action.PROPOSE_POLICY, Action.APPROVE_POLICY)
def proposal_list(request: HttpRequest) -> HttpResponse:
    visible = visible_proposals(request.user).select_related(
        "establishment", "proposed_by", "decided_by"
    )
    names = _category_names()
    pending = [
        {
            "proposal": proposal,
            "title": proposal_title(proposal),
            "changes": [row for row in diff_rows(proposal, names) if row.changed],
            "may_decide": may_decide(request.user, proposal),
        }
        for proposal in visible.filter(status=PolicyProposal.Status.PENDING).order_by("proposed_at")
    ]
    decided = visible.exclude(status=PolicyProposal.Status.PENDING).order_by("-decided_at")
    return _render(
        request,
        "policy/staff/proposals.html",
        {
            "pending": pending,
            "decided": [(p, proposal_title(p)) for p in decided[:DECIDED_SHOWN]],
        },
    )


@require_GET
@staff_required
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _visible_proposal(request, proposal_id)
    return _proposal_page(request, proposal, DecisionForm())


@require_POST
@staff_required
def decide_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _visible_proposal(request, proposal_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, proposal, form)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "approve":
            do_approve_policy_proposal(proposal, actor=Actor.of_user(request.user), note=note)
            messages.success(request, _("Approved: the change is in force now."))
        else:
            do_reject_policy_proposal(proposal, actor=Actor.of_user(request.user), note=note)
            messages.success(request, _("Rejected: nothing has changed."))
    except ProposalError as exc:
        for field, message in exc.errors():
            form.add_error(field if field in form.fields else None, message)
        status = 403 if isinstance(exc, ProposalRefused) else 409
        return _proposal_page(request, proposal, form, status=status)
    return redirect("policy:policy-proposal", proposal_id=proposal.pk)


@require_POST
@staff_required
def withdraw_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(
        visible_proposals(request.user).filter(proposed_by=request.user), pk=proposal_id
    )
    try:
        do_withdraw_policy_proposal(proposal, actor=Actor.of_user(request.user))
    except ProposalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Withdrawn: nothing has changed."))
    return redirect("policy:policy-proposal", proposal_id=proposal.pk)


# --- why? --------------------------------------------------------------------------------------


@require_GET
@staff_required
@may(Action.VIEW)
def why(request: HttpRequest) -> HttpResponse:
    now = timezone.localtime()
    form = WhyForm(
        request.GET if "prisoner" in request.GET else None,
        initial={"on": now.date(), "time": now.strftime("%H:%M"), "location": "CELL"},
    )
    answer = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        prisoner = (
            Prisoner.objects.for_user(request.user, Action.VIEW)
            .filter(prison_number=data["prisoner"])
            .first()
        )
        if prisoner is None:  # the same words whether they are elsewhere or nowhere
            form.add_error(
                "prisoner", _("There is no one with that prison number at your establishments")
            )
        else:
            moment = timezone.make_aware(
                dt.datetime.combine(data["on"] or now.date(), data["time"] or now.time())
            )
            try:
                answer = explain(
                    engine(), prisoner.prison_number, data["url"], moment, data["location"] or None
                )
            except BadResource as exc:
                form.add_error("url", str(exc))
            except UnknownPrisoner:
                form.add_error(
                    None,
                    _("The policy engine does not have this prisoner yet. Try again in a moment."),
                )
    return _render(
        request,
        "policy/staff/why.html",
        {
            "form": form,
            "answer": answer,
            "rules": _decision_rules(answer) if answer else [],
            "facts": _facts(answer) if answer else [],
        },
    )


# --- internals ---------------------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A policy page, with what its tabs need."""
    user = request.user
    may_see_proposals = may_somewhere(user, Action.PROPOSE_POLICY) or may_somewhere(
        user, Action.APPROVE_POLICY
    )
    waiting = 0
    if may_see_proposals:
        waiting = sum(
            may_decide(user, proposal)
            for proposal in visible_proposals(user)
            .filter(status=PolicyProposal.Status.PENDING)
            .exclude(proposed_by=user)
            .select_related("establishment")
        )
    return render(
        request,
        template,
        {**context, "may_see_proposals": may_see_proposals, "waiting": waiting},
        status=status,
    )


def _propose(
    request: HttpRequest,
    form: ProposalForm,
    kind: str,
    template: str,
    context: dict[str, Any],
    *,
    payload: dict[str, Any] | None = None,
    establishment: Establishment | None = None,
) -> HttpResponse:
    """Show a proposal form, or make the proposal it was sent with and go to its page."""
    if form.is_bound and not form.is_valid():
        _add_entry_problems(form, kind, payload, establishment)
    elif form.is_bound:
        try:
            proposal = do_propose_policy_change(
                kind,
                payload if payload is not None else form.payload(),
                establishment=_where(form, establishment),
                reason=form.cleaned_data["reason"],
                actor=Actor.of_user(request.user),
            )
        except ProposalError as exc:
            form.add_proposal_error(exc)
        else:
            messages.success(
                request,
                _("Proposed. It takes effect when someone else with the right to approve it does."),
            )
            return redirect("policy:policy-proposal", proposal_id=proposal.pk)
    return _render(request, template, {**context, "form": form})


def _add_entry_problems(
    form: ProposalForm,
    kind: str,
    payload: dict[str, Any] | None,
    establishment: Establishment | None,
) -> None:
    """Beside a form's own errors, the entry's: so that every problem shows at once."""
    try:
        entry = payload if payload is not None else form.payload()
    except KeyError:  # a field the entry needs is itself in error
        return
    try:
        check_policy_change(kind, entry, establishment=_where(form, establishment))
    except ProposalError as exc:
        form.add_proposal_error(exc)


def _where(form: ProposalForm, fixed: Establishment | None) -> Establishment | None:
    """Whose staff decide: as chosen on the form, unless the thing changed fixes it."""
    if "decider" not in form.fields or form.fields["decider"].disabled:
        return fixed
    chosen: Establishment | None = form.cleaned_data.get("decider")
    return chosen


def _proposal_page(
    request: HttpRequest, proposal: PolicyProposal, form: DecisionForm, status: int = 200
) -> HttpResponse:
    names = _category_names()
    is_rule = proposal.kind in (Kind.RULE, Kind.DELETE_RULE)
    return _render(
        request,
        "policy/staff/proposal.html",
        {
            "proposal": proposal,
            "title": proposal_title(proposal),
            "rows": diff_rows(proposal, names),
            "cedar_before": rule_cedar(proposal.before, proposal.establishment) if is_rule else "",
            "cedar_after": (
                rule_cedar(proposal.payload, proposal.establishment)
                if proposal.kind == Kind.RULE
                else ""
            ),
            "is_rule": is_rule,
            "applied": proposal.status == PolicyProposal.Status.APPROVED,
            "may_decide": may_decide(request.user, proposal),
            "is_own": proposal.proposed_by_id == request.user.pk,
            "form": form,
        },
        status=status,
    )


def _visible_proposal(request: HttpRequest, proposal_id: int) -> PolicyProposal:
    proposal: PolicyProposal = get_object_or_404(
        visible_proposals(request.user).select_related(
            "establishment", "proposed_by", "decided_by"
        ),
        pk=proposal_id,
    )
    return proposal


def _rule_to_propose(request: HttpRequest, rule_pk: int) -> AccessRule:
    rule: AccessRule = get_object_or_404(
        visible_rules(request.user, Action.PROPOSE_POLICY).select_related("establishment"),
        pk=rule_pk,
    )
    return rule


def _prisoner_to_propose_for(request: HttpRequest, prison_number: str) -> Prisoner:
    prisoner: Prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, Action.PROPOSE_POLICY).select_related(
            "establishment"
        ),
        prison_number=prison_number.upper(),
    )
    return prisoner


def _deciders(request: HttpRequest, fixed: Establishment | None = None) -> Any:
    """The establishments a proposal may be for: where the user may propose."""
    establishments = Establishment.objects.for_user(request.user, Action.PROPOSE_POLICY)
    if fixed is not None:
        establishments = Establishment.objects.filter(pk=fixed.pk)
    return establishments.order_by("name")


def _decider_initial(request: HttpRequest) -> dict[str, Any]:
    """The establishment being looked at, or the only one the user may propose at."""
    current = current_establishment(request)
    choices = list(_deciders(request))
    if current is not None and current in choices:
        return {"decider": current.code}
    return {"decider": choices[0].code} if len(choices) == 1 else {}


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _category_names() -> dict[str, str]:
    return dict(Category.objects.values_list("code", "name"))


def _decision_rules(answer: Explanation) -> list[dict[str, str]]:
    """Each rule that made the decision, with where it is explained on the rules page."""
    return [
        {"id": rule, "anchor": anchor(rule), "built_in": str(BUILT_IN_RULES.get(rule, ""))}
        for rule in answer.decision.rules
    ]


def _facts(answer: Explanation) -> list[tuple[str, str]]:
    """The prisoner's facts the decision was made on, in words."""
    attrs = answer.attrs
    clearance = Clearance(attrs["clearance"]).label
    return [
        (
            _("Security category"),
            f"{SecurityCategory(attrs['security_category']).label} ({clearance})",
        ),
        (_("Incentive level"), str(IncentiveLevel(attrs["incentive_level"]).label)),
        (_("Under 18"), _("Yes") if attrs["youth"] else _("No")),
        (_("Legal status"), str(LegalStatus(attrs["legal_status"]).label)),
        (_("Establishment"), attrs["establishment"]),
        (_("Alerts in force"), ", ".join(attrs["alerts"]) or _("None")),
        (
            _("Sanctions in force"),
            ", ".join([*attrs["sanctions"], *(f"web: {c}" for c in attrs["sanctioned_categories"])])
            or _("None"),
        ),
    ]
