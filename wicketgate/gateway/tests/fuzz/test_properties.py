"""The fuzz targets' invariants (targets.py) under hypothesis, in every test run: inputs
built from the pieces that matter (dot-segments, escapes of them, credentials, ports,
the helper protocol's fields), where a byte fuzzer would take long to find them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wicketgate.gateway.tests.fuzz.targets import (
    Helper,
    KnownBreak,
    check_acl,
    check_auth,
    check_path,
    check_url,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
PIECES = [
    *(".", "..", "%2e", "%2E", ".%2e", "%2e%2e", "%252e", "%25%32%65", "%2%65", "..;", ".;x"),
    *("%2f", "%2F", "%5c", "%00", "%23", "%25", "%", ";", "#", "\\", "\x00", "/", "//"),
    *("openlearn", "portal", "assets", "staff", "secret", "x", "%41", "%7e", "\uff0e", "é"),
]
SEGMENT = st.lists(st.sampled_from(PIECES), max_size=3).map("".join) | st.text(max_size=6)
PATH = st.lists(SEGMENT, max_size=6).map(lambda s: "/" + "/".join(s)) | st.text(max_size=20)
HOST = st.sampled_from(
    [
        "www.nhs.uk",
        "www.open.edu",
        "blocked.example.com",
        "a.learn.example.org",
        "library.wing.test",
        "portal.wicketgate.test",
        "WWW.NHS.UK.",
        "[::1]",
        "127.0.0.1",
        "www.nhs.uk\uff03x",
    ]
) | st.text(max_size=12)
PORT = st.sampled_from(["", ":80", ":443", ":8000", ":8080", ":8443", ":0", ":99999", ":x", ":"])
USERINFO = st.sampled_from(["", "user@", "user:pw@", "www.nhs.uk@", "blocked.example.com\\@"])
URL = st.builds(
    lambda scheme, userinfo, host, port, path, query: (
        f"{scheme}://{userinfo}{host}{port}{path}{query}"
    ),
    st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    USERINFO,
    HOST,
    PORT,
    PATH,
    st.sampled_from(["", "?q=1", "?u=http://blocked.example.com/", "#f"]),
)
AUTHORITY = st.builds(lambda host, port: host + port, HOST, PORT)


@FUZZ
@given(PATH)
@example("/%01./a//\udcff#/.")  # the path fuzzer's find: a # kept
def test_any_path_is_refused_or_read_in_normal_form(path: str) -> None:
    check_path(path.encode("utf-8", "surrogatepass"))


@FUZZ
@given(URL | AUTHORITY)
def test_any_url_is_read_alike_by_decide_and_the_gateway(url: str) -> None:
    _known(check_url, url.encode("utf-8", "surrogatepass"))


@pytest.mark.django_db
@FUZZ
@given(
    channel=st.sampled_from(["1", "42", "", "\xff", "9001"]) | st.text(max_size=4),
    login=st.sampled_from(["$USER", "-", "nobody", "%24USER", "$USER%00"]),
    method=st.sampled_from(["GET", "POST", "CONNECT", "HEAD", "-", "G%C3%A9T"]),
    uri=URL | AUTHORITY,
    sni=st.sampled_from(["-", ""]) | HOST,
    question=st.sampled_from(["-", "portal", "internal", "", "other"]),
    escape=st.booleans(),
    tail=st.sampled_from(["", " extra", "\r", "  "]),
)
def test_any_access_question_gets_one_answer_the_policy_agrees_with(
    helper: Helper,
    channel: str,
    login: str,
    method: str,
    uri: str,
    sni: str,
    question: str,
    escape: bool,
    tail: str,
) -> None:
    fields = [login, "127.0.0.1", method, uri, sni or "-", question]
    if escape:  # as Squid asks: each field escaped, but for escapes there already
        fields = [quote(f, safe="%:/$") for f in fields]
    line = " ".join([channel, *fields]) + tail
    _known(lambda data: check_acl(helper, data), line.encode("utf-8", "surrogatepass"))


@pytest.mark.django_db
@FUZZ
@given(
    channel=st.sampled_from(["1", "", "\xff"]) | st.text(max_size=4),
    user=st.sampled_from(["$USER", "%24USER", "nobody", "", "$USER%00", "$USER "]),
    password=st.sampled_from(["$PASS", "wrong", "", "$PASS extra", "%24PASS"])
    | st.text(max_size=10),
)
def test_any_login_line_gets_one_answer_ok_only_with_the_password(
    helper: Helper, channel: str, user: str, password: str
) -> None:
    line = f"{channel} {user} {password}".encode("utf-8", "surrogatepass")
    check_auth(helper, line)


def _known(check: Callable[[bytes], None], data: bytes) -> None:
    """The check, but for the break already reported (targets.KnownBreak)."""
    with contextlib.suppress(KnownBreak):
        check(data)
