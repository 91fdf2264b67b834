"""The access policy as staff edit it: catalogue, rules, per-prisoner exceptions.

Nothing here is evaluated directly: ``compiler.py`` turns it into a versioned Cedar
snapshot, and every enforcement point asks ``engine.decide`` on that snapshot.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.policy.codes import Clearance, Effect, Https

code_validator = RegexValidator(
    r"^[A-Z][A-Z_]{1,39}$", "Capital letters and underscores, e.g. JOB_SEARCH."
)
rule_id_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$", "Lower-case letters, digits and hyphens."
)


class Category(models.Model):
    code = models.CharField(max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """An approved site in the catalogue."""

    name = models.CharField(max_length=120, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="sites")
    hosts = models.JSONField(help_text="Host patterns: www.example.org or *.example.org")
    paths = models.JSONField(
        default=list, blank=True, help_text="Path prefixes; empty means the whole host"
    )
    min_clearance = models.PositiveSmallIntegerField(
        choices=Clearance.choices, null=True, blank=True
    )
    ports = models.JSONField(
        default=list, blank=True, help_text="Ports besides 80 and 443 it is served on"
    )
    internal = models.BooleanField(
        default=False,
        help_text=(
            "An internal service (the offline library, say): its hosts may be on the "
            "networks the gateway refuses to connect to for any other site"
        ),
    )
    https = models.CharField(
        max_length=12,
        choices=Https.choices,
        default=Https.INSPECT,
        help_text=(
            "Inspected: decrypted and decided request by request. Passed through: never "
            "decrypted, the whole site only, on port 443"
        ),
    )
    proposed_by = models.CharField(max_length=150)
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    review_by = models.DateField(
        null=True, blank=True, help_text="Stops being allowed after this day"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by="") | ~Q(approved_by=models.F("proposed_by")),
                name="site_approved_by_someone_else",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return bool(self.approved_by) and self.retired_at is None

    def review_overdue(self, on: dt.date) -> bool:
        return self.review_by is not None and on > self.review_by


class AccessRule(models.Model):
    """Allow or forbid categories to prisoners who match conditions, estate-wide or at one establishment."""

    rule_id = models.CharField(max_length=63, validators=[rule_id_validator])
    establishment = models.ForeignKey(
        "estate.Establishment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_rules",
    )
    effect = models.CharField(max_length=6, choices=Effect.choices)
    categories = models.JSONField(help_text='Category codes, or ["ALL"]')
    conditions = models.JSONField(default=dict, blank=True)
    hours = models.CharField(max_length=200, blank=True)
    locations = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["establishment__code", "rule_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "rule_id"], name="rule_id_unique_per_scope"
            ),
            models.UniqueConstraint(
                fields=["rule_id"],
                condition=Q(establishment__isnull=True),
                name="estate_rule_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.policy_id

    @property
    def policy_id(self) -> str:
        scope = self.establishment.code if self.establishment is not None else "estate"
        return f"rule:{scope}:{self.rule_id}"


class PrisonerException(models.Model):
    """Allow or forbid one site or one category to one prisoner, until a date."""

    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.CASCADE, related_name="policy_exceptions"
    )
    effect = models.CharField(max_length=6, choices=Effect.choices)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=300)
    until = models.DateField(help_text="Applies up to the end of this day (establishment time)")
    approved_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(site__isnull=False) & Q(category__isnull=True))
                | (Q(site__isnull=True) & Q(category__isnull=False)),
                name="exception_is_for_a_site_or_a_category",
            )
        ]

    def __str__(self) -> str:
        target = self.site.name if self.site else self.category.code if self.category else "?"
        return f"{self.effect} {target} for {self.prisoner_id} until {self.until}"


class PolicyProposalQuerySet(ScopedQuerySet["PolicyProposal"]):
    pass


class PolicyProposal(models.Model):
    """A change to the policy made in the staff UI: it takes effect only when a second
    member of staff, with the right role, approves it (four eyes).

    ``payload`` is the entry in the same shape as one entry of a policy YAML file (a
    site, a rule or an exception), so approval applies it through the same checks as an
    import; ``before`` keeps what it replaces, for the diff.
    """

    class Kind(models.TextChoices):
        SITE = "site", "Add or change a site"
        RETIRE_SITE = "retire_site", "Retire a site"
        RULE = "rule", "Add or change a rule"
        DELETE_RULE = "delete_rule", "Remove a rule"
        EXCEPTION = "exception", "Grant an exception"
        REVOKE_EXCEPTION = "revoke_exception", "Revoke an exception"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    establishment = models.ForeignKey(
        "estate.Establishment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policy_proposals",
        help_text="Whose staff may see and approve it; empty: estate-wide (estate admin)",
    )
    payload = models.JSONField()
    before = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="policy_proposals"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = PolicyProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="proposal_decided_by_someone_else",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class SiteRequestQuerySet(ScopedQuerySet["SiteRequest"]):
    establishment_field = "prisoner__establishment"


class SiteRequest(models.Model):
    """A prisoner asking for a site to be made available, from the portal or a block page."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        PROPOSED = "proposed", "Proposed for the catalogue"
        DECLINED = "declined", "Declined"

    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.CASCADE, related_name="site_requests"
    )
    url = models.CharField(max_length=2000)
    host = models.CharField(max_length=253)
    reason = models.TextField(help_text="In the prisoner's words: what it is for")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="Shown to the prisoner")
    proposal = models.ForeignKey(
        PolicyProposal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="site_requests",
    )

    objects = SiteRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.host} for {self.prisoner_id} ({self.status})"


class PolicyChange(models.Model):
    """One change that a snapshot must take in: its id is the policy version.

    Written in the same transaction as the change (by signal handlers), so an engine
    that has seen version N can ask what changed after N and recompile only that.
    """

    class Kind(models.TextChoices):
        POLICY = "policy", "Rules, catalogue or categories"
        PRISONER = "prisoner", "One prisoner"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(
        max_length=40, blank=True, help_text="The prisoner's id for a prisoner change"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"v{self.pk} {self.kind} {self.key}"
