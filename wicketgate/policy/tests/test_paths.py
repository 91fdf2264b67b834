"""Paths are decided as a web server will read them: dot-segments and escapes cannot walk
out of a site's path prefix, and what a server might read two ways is refused."""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from wicketgate.api.tests.helpers import TokenClient, token_for
from wicketgate.cli import main
from wicketgate.policy import engine as engine_module
from wicketgate.policy.engine import DOT_SEGMENTS, Engine
from wicketgate.policy.hosts import BadResource, normalise_path, parse_url
from wicketgate.testing.personas import Estate
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, THURSDAY_10

pytestmark = IN_THE_POLICY_WEEK

ALAN = "A1234BC"
COURSES = "https://learn.example.org/courses/"  # the site is only these pages of that host
COURSES_POLICY = """
sites:
  - {name: Courses, hosts: [learn.example.org], category: EDUCATION, paths: [/courses/]}
"""


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/", "/"),
        ("/openlearn/course", "/openlearn/course"),
        ("/openlearn/../secret", "/secret"),
        ("/openlearn/%2e%2e/secret", "/secret"),
        ("/openlearn/%2E%2e/secret", "/secret"),
        ("/openlearn/.%2e/secret", "/secret"),
        ("/openlearn/./course/.", "/openlearn/course/"),
        ("/openlearn/course/..", "/openlearn/"),
        ("/..", "/"),
        ("/../../openlearn/x", "/openlearn/x"),
        ("/%7Euser/%41", "/~user/A"),  # unreserved escapes are decoded
        ("/a%20b/%3f", "/a%20b/%3F"),  # others are kept, in upper case
        ("/openlearn//course", "/openlearn//course"),  # kept: no dot-segment to resolve
        ("/a;b/c", "/a;b/c"),
    ],
)
def test_it_normalises_a_path_as_rfc_3986_says(path: str, normal: str) -> None:
    assert normalise_path(path) == normal


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/openlearn/..%2fsecret", "%2F"),
        ("/openlearn/..%2Fsecret", "%2F"),
        ("/openlearn/..%5csecret", "%5C"),
        ("/openlearn/..\\secret", "backslash"),
        ("/openlearn/%00", "%00"),
        ("/openlearn/\x00", "NUL"),
        ("/openlearn/%252e%252e/secret", "%252e"),  # for servers that decode twice
        ("/openlearn/%252fsecret", "%252f"),
        ("/openlearn/..;/secret", "parameters"),  # some servers read "..;" as ".."
        ("/openlearn/.;x/secret", "parameters"),
        ("/openlearn//../secret", "both // and a dot-segment"),
        ("/secret%23/../openlearn/x", "%23"),  # Squid's escape of a raw #: servers stop there
        ("/openlearn/%2%65%2%65/secret", "starts no escape"),  # one decoding makes %2e%2e
        ("/openlearn/%%32%65%%32%65/secret", "starts no escape"),
        ("/openlearn/100%", "starts no escape"),
    ],
)
def test_it_refuses_a_path_a_server_might_read_another_way(path: str, problem: str) -> None:
    with pytest.raises(BadResource, match="refused") as raised:
        normalise_path(path)
    assert problem in str(raised.value)


SEGMENT = st.sampled_from(["openlearn", "secret", "x", ".", "..", "%2e", "%2E%2e", ".%2e", ""])


@settings(max_examples=300)
@given(st.lists(SEGMENT, min_size=1, max_size=8))
def test_a_normalised_path_is_the_one_a_server_resolves(segments: list[str]) -> None:
    """Whatever the segments, the path decided on is the one a server resolves, checked
    against posixpath; or, with both ``//`` and a dot-segment, the path is refused."""
    path = "/" + "/".join(segments)
    plain = path.replace("%2E", ".").replace("%2e", ".")
    dotted = any(s in (".", "..") for s in plain.split("/"))
    if "//" in plain and dotted:
        with pytest.raises(BadResource):
            normalise_path(path)
        return
    normal = normalise_path(path)
    if "//" in plain:
        assert normal == plain  # nothing to resolve, nothing merged
    else:
        assert normal.rstrip("/") == posixpath.normpath(plain).rstrip("/")
    assert ".." not in normal.split("/")


@pytest.mark.parametrize(
    ("url", "outcome"),
    [
        (COURSES + "maths", "allow"),
        # A path-limited site is never reached through dot-segments: servers disagree on
        # them (kiwix-serve reads /history/../maths/x as book history).
        (COURSES + "./maths", "deny"),
        (COURSES + "../admin", "deny"),
        (COURSES + "%2e%2e/admin", "deny"),
        (COURSES + ".%2E/admin", "deny"),
        ("https://learn.example.org/admin/../courses/maths", "deny"),
        ("https://learn.example.org/%63ourses/maths", "allow"),  # %63 is "c"
        (COURSES + "..%2fadmin", "bad"),
        (COURSES + "..%5cadmin", "bad"),
        (COURSES + "..;/admin", "bad"),
        (COURSES + "%252e%252e/admin", "bad"),
    ],
)
def test_decide_the_command_line_and_the_api_agree_on_every_such_url(
    policy: Estate, load_policy: Callable[[str], Any], url: str, outcome: str
) -> None:
    load_policy(COURSES_POLICY)
    engine_module._engine = Engine(refresh_every=0)
    at = dt.datetime.fromisoformat(THURSDAY_10)
    try:
        decided = (
            "allow" if engine_module.decide(ALAN, url, at=at, location="CELL").allowed else "deny"
        )
    except BadResource:
        decided = "bad"
    run = CliRunner().invoke(
        main,
        ["decide", "--prisoner", ALAN, "--url", url, "--at", THURSDAY_10, "--location", "CELL"],
    )
    by_command_line = {0: "allow", 1: "deny", 2: "bad"}[run.exit_code]
    response = TokenClient(token_for(policy.clerk_a)).post(
        "/api/v1/decisions",
        {"prisoner": ALAN, "url": url, "at": THURSDAY_10, "location": "CELL"},
        content_type="application/json",
    )
    by_api = response.json()["decision"] if response.status_code == 200 else "bad"
    if by_api == "bad":
        assert response.status_code == 422 and response.json()["detail"].startswith("url: ")
    assert (decided, by_command_line, by_api) == (outcome, outcome, outcome), run.output


def test_a_bare_host_has_no_path_to_normalise() -> None:
    assert parse_url("www.open.edu").path is None
    assert parse_url("https://www.open.edu/openlearn/%2e%2e/").path == "/"


def test_the_command_line_names_what_is_wrong_with_the_path(policy: Estate) -> None:
    run = CliRunner().invoke(main, ["decide", "--prisoner", ALAN, "--url", COURSES + "..%2fx"])
    assert run.exit_code == 2
    assert "a path with %2F in it is refused" in run.output


def test_a_dot_segment_is_refused_for_a_path_limited_site_and_says_so(
    policy: Estate, load_policy: Callable[[str], Any]
) -> None:
    load_policy(COURSES_POLICY)
    engine = Engine(refresh_every=0)
    at = dt.datetime.fromisoformat(THURSDAY_10)
    decision = engine.decide(ALAN, "https://learn.example.org/admin/../courses/maths", at=at)
    assert (decision.allowed, decision.rules) == (False, (DOT_SEGMENTS,))
    assert "“.” or “..”" in decision.reasons[0]
    # The same page without them is allowed.
    assert engine.decide(ALAN, COURSES + "maths", at=at, location="CELL").allowed
