"""What a prisoner is shown when the gateway refuses a website, and the list of refusals.

The block page is where Squid sends a refused plain-HTTP request (``deny_info`` in
squid.conf), so anyone may open it, signed in or not. It says only what the signed
token in its address says: the gateway signs the host and the reasons, and a token that
does not verify is never shown, so nobody can put words on the page by editing a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wicketgate.gateway.gatekeeper import read_block_token
from wicketgate.gateway.queries import refusals_of
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner

ATTEMPTS = 50  # how many of their refusals a prisoner is shown
TOKEN_MAX = 4000  # far longer than any token the gateway makes
GATEWAY_RULES = "gateway:"  # rule ids of the gateway's own refusals (see gatekeeper)


@dataclass(frozen=True)
class Refusal:
    host: str
    reasons: list[str]
    rules: list[str]

    @property
    def by_policy(self) -> bool:
        """Refused by the rules for websites, not because of the session or the gateway:
        only then is asking for the site any use."""
        return bool(self.host) and not any(rule.startswith(GATEWAY_RULES) for rule in self.rules)

    @property
    def request_url(self) -> str:
        """The portal's form for asking for a site, with this host filled in."""
        return f"{reverse('policy:portal-request-new')}?{urlencode({'url': self.host})}"


@require_GET
@never_cache
def blocked(request: HttpRequest) -> HttpResponse:
    refusal = read_refusal(request.GET.get("d", ""))
    if refusal is None:
        return render(request, "gateway/portal/blocked_unreadable.html", status=400)
    return render(request, "gateway/portal/blocked.html", {"refusal": refusal})


@require_GET
@prisoner_required
def blocked_attempts(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    attempts = [
        (event.occurred_at, _refusal_in(event.details))
        for event in refusals_of(prisoner.pk, limit=ATTEMPTS)
    ]
    return render(
        request, "gateway/portal/blocked_attempts.html", {"attempts": attempts, "limit": ATTEMPTS}
    )


def read_refusal(token: str) -> Refusal | None:
    """The refusal a block token describes, or None unless it is one the gateway signed."""
    if not token or len(token) > TOKEN_MAX:
        return None
    data = read_block_token(token)
    if data is None:
        return None
    host, reasons, rules = data.get("h"), data.get("r"), data.get("i")
    if not isinstance(host, str) or not _strings(reasons) or not _strings(rules):
        return None
    return Refusal(host, reasons, rules)


def _refusal_in(details: dict[str, object]) -> Refusal:
    host = details.get("host")
    reasons, rules = details.get("reasons"), details.get("rules")
    return Refusal(
        host if isinstance(host, str) else "",
        reasons if _strings(reasons) else [],
        rules if _strings(rules) else [],
    )


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
