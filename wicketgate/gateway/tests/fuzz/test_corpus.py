"""Every input in the fuzz corpus, replayed through its target's invariants (targets.py):
what a fuzzer once found stays a test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wicketgate.gateway.tests.fuzz.targets import (
    CORPUS,
    KNOWN_BREAKS,
    TARGETS,
    Helper,
    KnownBreak,
    check_acl,
    check_auth,
    check_path,
    check_url,
)

# The gatekeeper's tests: the mark has pytest-django set up the test database, which the
# module's one world is built in (conftest.py; each test runs in a savepoint of its own).
ASKS = pytest.mark.django_db


# Inputs that break an invariant in a way reported and not fixed yet (targets.KNOWN_BREAKS):
# expected to fail, and the test fails once they pass, so that they are taken off here.
KNOWN = {
    "url/seed-292747fd7f780b85a035368a2430c6e048c92c4d": "credentials",
    "url/seed-a706916a5ac7e1d79f649e29ef9c0f1b86186243": "credentials",
    "url/seed-abbf219bed4c8e4d13b3d0e944ec8f4a0cce58d1": "credentials",
    "url/crash-e689846c63a09def628666916ed8f91aae1ac984": "whitespace",
    "url/crash-7861a9381dc4e5efc64e7ef1915f91641aea06f7": "control",
    "acl/seed-1b861cb8cd1fc6200fd8fa9e77668bd2eb3c2aad": "credentials",
    "acl/seed-a72b0329d8acbde4955029af3ecea6753c32af37": "credentials",
    "acl/seed-af162de1f2f3512150c2e25fc8eaa714a43dab89": "credentials",
    "acl/crash-048055b0337e64f4417d2999d3d89383a14914b4": "brackets",
    "acl/crash-71d1da4b35996d5ae674eb84fc8f103f9418834a": "brackets",
    "acl/seed-e19e61968ee083c4de141eb92a7b8be11a2b52aa": "tls-url",
}


def corpus(target: str) -> list[Any]:
    return [
        pytest.param(
            path,
            id=path.name,
            marks=[
                pytest.mark.xfail(
                    raises=KnownBreak,
                    strict=True,
                    reason=KNOWN_BREAKS[KNOWN[f"{target}/{path.name}"]],
                )
            ]
            if f"{target}/{path.name}" in KNOWN
            else [],
        )
        for path in sorted((CORPUS / target).iterdir())
        if path.is_file()
    ]


@pytest.mark.parametrize("file", corpus("path"))
def test_a_path_in_the_corpus_is_refused_or_read_in_normal_form(file: Path) -> None:
    check_path(file.read_bytes())


@pytest.mark.parametrize("file", corpus("url"))
def test_a_url_in_the_corpus_is_read_alike_by_decide_and_the_gateway(file: Path) -> None:
    check_url(file.read_bytes())


@ASKS
@pytest.mark.parametrize("file", corpus("acl"))
def test_an_access_question_in_the_corpus_gets_one_answer_the_policy_agrees_with(
    helper: Helper, file: Path
) -> None:
    check_acl(helper, file.read_bytes())


@ASKS
@pytest.mark.parametrize("file", corpus("auth"))
def test_a_login_in_the_corpus_gets_one_answer_ok_only_with_the_password(
    helper: Helper, file: Path
) -> None:
    check_auth(helper, file.read_bytes())


def test_the_corpus_stays_small() -> None:
    files = [param.values[0] for target in TARGETS for param in corpus(target)]
    assert len(files) <= 600, "minimise it: see corpus/README.md"
    assert sum(file.stat().st_size for file in files) <= 512 * 1024


@ASKS
def test_the_ordinary_questions_are_answered_as_the_policy_says(helper: Helper) -> None:
    # build_helper checks the verdicts; here, that the baseline is what the checks compare.
    assert helper.ask_ordinary() == helper.baseline


@ASKS
def test_the_checks_catch_a_gatekeeper_that_allows_too_much(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helper.gate, "decide", lambda *args: b"OK log=allow;rule:x;1;;")
    with pytest.raises(AssertionError, match="wicketgate decide denies"):
        check_acl(helper, b"1 $USER 127.0.0.1 GET http://blocked.example.com/ - -")
    with pytest.raises(AssertionError, match="without the session's name"):
        check_acl(helper, b"2 nobody 127.0.0.1 GET http://www.nhs.uk/ - -")
