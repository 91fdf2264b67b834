from django.urls import path

from wicketgate.web import health
from wicketgate.web.views import (
    audit,
    auth,
    establishments,
    family,
    home,
    policy,
    portal,
    portal_sites,
    prisoner_changes,
    prisoners,
    site_requests,
)

app_name = "web"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", home.root, name="root"),
    # Staff
    path("staff/", home.home, name="home"),
    path("staff/sign-in", auth.sign_in, name="sign-in"),
    path("staff/sign-out", auth.sign_out, name="sign-out"),
    path("staff/establishment", home.switch_establishment, name="switch-establishment"),
    path("staff/prisoners/", prisoners.prisoner_list, name="prisoners"),
    path("staff/prisoners/<str:prison_number>/", prisoners.prisoner_profile, name="prisoner"),
    path(
        "staff/prisoners/<str:prison_number>/alerts/new",
        prisoner_changes.add_alert,
        name="prisoner-add-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/alerts/<int:alert_id>/end",
        prisoner_changes.end_alert,
        name="prisoner-end-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/incentive-review",
        prisoner_changes.review_incentive,
        name="prisoner-review-incentive",
    ),
    path("staff/prisoners/<str:prison_number>/move", prisoner_changes.move, name="prisoner-move"),
    path(
        "staff/prisoners/<str:prison_number>/timeline/",
        audit.prisoner_timeline,
        name="prisoner-timeline",
    ),
    path(
        "staff/prisoners/<str:prison_number>/account/unlock",
        prisoner_changes.unlock_account,
        name="prisoner-unlock-account",
    ),
    path(
        "staff/prisoners/<str:prison_number>/account/devices/<int:device_pk>/unlock",
        prisoner_changes.unlock_device,
        name="prisoner-unlock-device",
    ),
    path(
        "staff/prisoners/<str:prison_number>/exceptions/propose",
        policy.propose_exception,
        name="prisoner-exception-propose",
    ),
    path(
        "staff/prisoners/<str:prison_number>/exceptions/<int:exception_id>/revoke",
        policy.revoke_exception,
        name="prisoner-exception-revoke",
    ),
    path(
        "staff/establishments/<str:code>/",
        establishments.establishment_detail,
        name="establishment",
    ),
    path("staff/policy/sites/", policy.site_list, name="policy-sites"),
    path("staff/policy/sites/new", policy.propose_site, name="policy-site-new"),
    path("staff/policy/sites/<int:site_id>/", policy.site_detail, name="policy-site"),
    path("staff/policy/sites/<int:site_id>/change", policy.change_site, name="policy-site-change"),
    path("staff/policy/sites/<int:site_id>/retire", policy.retire_site, name="policy-site-retire"),
    path("staff/policy/rules/", policy.rule_list, name="policy-rules"),
    path("staff/policy/rules/new", policy.propose_rule, name="policy-rule-new"),
    path("staff/policy/rules/<int:rule_pk>/change", policy.change_rule, name="policy-rule-change"),
    path("staff/policy/rules/<int:rule_pk>/remove", policy.remove_rule, name="policy-rule-remove"),
    path("staff/policy/proposals/", policy.proposal_list, name="policy-proposals"),
    path(
        "staff/policy/proposals/<int:proposal_id>/",
        policy.proposal_detail,
        name="policy-proposal",
    ),
    path(
        "staff/policy/proposals/<int:proposal_id>/decide",
        policy.decide_proposal,
        name="policy-proposal-decide",
    ),
    path(
        "staff/policy/proposals/<int:proposal_id>/withdraw",
        policy.withdraw_proposal,
        name="policy-proposal-withdraw",
    ),
    path("staff/policy/why/", policy.why, name="policy-why"),
    path("staff/audit/", audit.audit_search, name="audit"),
    path("staff/audit/export", audit.audit_export, name="audit-export"),
    path("staff/audit/events/<int:seq>/", audit.audit_event, name="audit-event"),
    path("staff/site-requests/", site_requests.queue, name="site-requests"),
    path("staff/site-requests/<int:pk>/", site_requests.detail, name="site-request"),
    path(
        "staff/site-requests/<int:pk>/decline",
        site_requests.decline,
        name="site-request-decline",
    ),
    path(
        "staff/site-requests/<int:pk>/propose",
        site_requests.propose,
        name="site-request-propose",
    ),
    # Prisoners, on in-cell laptops and wing kiosks
    path("portal/", portal.home, name="portal-home"),
    path("portal/sign-in", portal.sign_in, name="portal-sign-in"),
    path("portal/sign-out", portal.sign_out, name="portal-sign-out"),
    path("portal/access/", portal_sites.access, name="portal-access"),
    path("portal/requests/", portal_sites.request_list, name="portal-requests"),
    path("portal/requests/new", portal_sites.request_new, name="portal-request-new"),
    path("portal/requests/<int:pk>/", portal_sites.request_detail, name="portal-request"),
    # Families and friends
    path("family/", family.home, name="family-home"),
    path("family/sign-in", family.sign_in, name="family-sign-in"),
    path("family/sign-out", family.sign_out, name="family-sign-out"),
]
