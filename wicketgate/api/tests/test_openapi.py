from __future__ import annotations

import json
import re

from django.contrib.staticfiles import finders
from django.test import Client

from wicketgate.api.tests.helpers import A_ENDPOINTS

PATHS = [
    "/api/v1/me",
    "/api/v1/establishments",
    "/api/v1/establishments/{code}",
    "/api/v1/establishments/{code}/locations",
    "/api/v1/prisoners",
    "/api/v1/prisoners/{prison_number}",
    "/api/v1/decisions",
    "/api/v1/device/sessions",
    "/api/v1/device/sessions/current",
    "/api/v1/prisoners/{prison_number}/sanctions",
    "/api/v1/sanctions",
    "/api/v1/sanctions/{sanction_id}/quash",
    "/api/v1/conduct/alerts",
    "/api/v1/courses",
    "/api/v1/courses/{course_id}",
    "/api/v1/courses/{course_id}/enrolments",
    "/api/v1/enrolments/{enrolment_id}/withdraw",
    "/api/v1/prisoners/{prison_number}/learning",
]


def test_it_publishes_an_openapi_document_listing_every_path(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"] == {
        "title": "Wicketgate API",
        "version": "1",
        "description": document["info"]["description"],
    }
    assert sorted(document["paths"]) == sorted(PATHS)
    # Every GET path is in the persona matrix; POST /decisions has its own tests
    # (test_decisions.py), as do the device sign-in paths (test_devices.py), which a
    # device's key opens, never a person's, and giving and quashing sanctions
    # (test_conduct.py), and one course, enrolling and withdrawing (learning/tests/test_api.py).
    assert len(PATHS) == len(A_ENDPOINTS) + 8
    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_it_documents_the_error_responses(db: None) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/prisoners/{prison_number}"]["get"]["responses"]) == {
        "200",
        "401",
        "404",
    }
    assert set(paths["/api/v1/prisoners"]["get"]["responses"]) == {"200", "401", "422"}


def test_it_serves_the_docs_page_without_inline_script(db: None) -> None:
    # The CSP allows scripts from our own origin (or with a nonce) only: the page works
    # because every script it runs is a file from ninja's bundled static files.
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    for attributes in scripts:
        assert 'src="/assets/' in attributes or 'type="application/json"' in attributes
    for asset in re.findall(r'(?:src|href)="/assets/([^"]+)"', html):
        assert finders.find(asset), asset


def test_it_answers_an_unknown_api_path_with_json(db: None) -> None:
    response = Client().get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
