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
KNOWN: dict[str, str] = {}  # none: the five kinds the fuzzers found are fixed


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
