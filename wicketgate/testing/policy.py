"""A small policy for tests: the catalogue and rules most decision tests start from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from wicketgate.estate.models import Establishment
from wicketgate.people.models import AlertCode, Prisoner
from wicketgate.policy.actions import do_import_policy
from wicketgate.policy.imports import Known, PolicyFile, read_policy
from wicketgate.policy.models import Category, Site
from wicketgate.testing.personas import SETUP

POLICY = """
sites:
  - name: OpenLearn
    hosts: ["www.open.edu", "*.open.edu"]
    category: EDUCATION
    paths: ["/openlearn/"]
  - name: Open University
    hosts: ["www.open.edu"]
    category: EDUCATION
  - name: Find a job
    hosts: ["findajob.dwp.gov.uk"]
    category: EMPLOYMENT
  - name: BBC News
    hosts: ["www.bbc.co.uk"]
    category: NEWS
  - name: Open prison jobs
    hosts: ["jobs.example.org"]
    category: EMPLOYMENT
    min_clearance: OPEN
rules:
  - id: std-learning
    allow: [EDUCATION, EMPLOYMENT]
    when: {incentive_level: [STD, ENH]}
    hours: "Mon-Fri 08:00-20:00; Sat-Sun 10:00-16:00"
    locations: [CELL, EDUCATION]
  - id: news
    allow: [NEWS]
  - id: cyber-no-news
    forbid: [NEWS]
    when: {alert: CYBER}
    description: People with an IT misuse alert cannot read news sites.
"""

THURSDAY_10 = "2026-11-26T10:00:00+00:00"
THURSDAY_22 = "2026-11-26T22:00:00+00:00"
# The policy tests ask about moments in the week of Thursday 26 November 2026 (GMT, so
# London time is UTC), and import exceptions that end in it or soon after. They run
# with the clock frozen on that week's Monday, so that an import's "not in the past"
# checks, and anything else that reads "now", see the week the test means.
POLICY_WEEK = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
IN_THE_POLICY_WEEK = pytest.mark.time_machine(POLICY_WEEK, tick=False)


def known() -> Known:
    return Known(
        categories=set(Category.objects.values_list("code", flat=True)),
        sites=set(Site.objects.values_list("name", flat=True)),
        prisoners=set(Prisoner.objects.values_list("prison_number", flat=True)),
        establishments=set(Establishment.objects.values_list("code", flat=True)),
        alerts=set(AlertCode.objects.values_list("code", flat=True)),
    )


def parse(tmp_path: Path, text: str) -> PolicyFile:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return read_policy(path, known())


def import_policy(folder: Path, text: str, establishment: Establishment | None = None) -> Any:
    return do_import_policy(
        parse(folder, text), actor=SETUP, file_name="policy.yaml", establishment=establishment
    )
