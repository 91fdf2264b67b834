"""The policy pages' addresses: the catalogue, rules, proposals and exceptions, site requests, and the prisoner portal's websites pages."""

from django.urls import path

from wicketgate.policy.views import portal, staff, staff_site_requests

app_name = "policy"

urlpatterns = [
    path(
        "staff/prisoners/<str:prison_number>/exceptions/propose",
        staff.propose_exception,
        name="prisoner-exception-propose",
    ),
    path(
        "staff/prisoners/<str:prison_number>/exceptions/<int:exception_id>/revoke",
        staff.revoke_exception,
        name="prisoner-exception-revoke",
    ),
    path("staff/policy/sites/", staff.site_list, name="policy-sites"),
    path("staff/policy/sites/new", staff.propose_site, name="policy-site-new"),
    path("staff/policy/sites/<int:site_id>/", staff.site_detail, name="policy-site"),
    path("staff/policy/sites/<int:site_id>/change", staff.change_site, name="policy-site-change"),
    path("staff/policy/sites/<int:site_id>/retire", staff.retire_site, name="policy-site-retire"),
    path("staff/policy/rules/", staff.rule_list, name="policy-rules"),
    path("staff/policy/rules/new", staff.propose_rule, name="policy-rule-new"),
    path("staff/policy/rules/<int:rule_pk>/change", staff.change_rule, name="policy-rule-change"),
    path("staff/policy/rules/<int:rule_pk>/remove", staff.remove_rule, name="policy-rule-remove"),
    path("staff/policy/proposals/", staff.proposal_list, name="policy-proposals"),
    path(
        "staff/policy/proposals/<int:proposal_id>/",
        staff.proposal_detail,
        name="policy-proposal",
    ),
    path(
        "staff/policy/proposals/<int:proposal_id>/decide",
        staff.decide_proposal,
        name="policy-proposal-decide",
    ),
    path(
        "staff/policy/proposals/<int:proposal_id>/withdraw",
        staff.withdraw_proposal,
        name="policy-proposal-withdraw",
    ),
    path("staff/policy/why/", staff.why, name="policy-why"),
    path("staff/site-requests/", staff_site_requests.queue, name="site-requests"),
    path("staff/site-requests/<int:pk>/", staff_site_requests.detail, name="site-request"),
    path(
        "staff/site-requests/<int:pk>/decline",
        staff_site_requests.decline,
        name="site-request-decline",
    ),
    path(
        "staff/site-requests/<int:pk>/propose",
        staff_site_requests.propose,
        name="site-request-propose",
    ),
    path("portal/access/", portal.access, name="portal-access"),
    path("portal/requests/", portal.request_list, name="portal-requests"),
    path("portal/requests/new", portal.request_new, name="portal-request-new"),
    path("portal/requests/<int:pk>/", portal.request_detail, name="portal-request"),
]
