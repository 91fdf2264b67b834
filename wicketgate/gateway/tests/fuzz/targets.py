"""The fuzz targets: what must hold for any input to the gateway's parsers.

Each target takes the bytes of one input and raises AssertionError when an invariant
breaks (any other exception is a crash). The same targets serve the atheris fuzzers
(``run.py``) and the corpus replay (``test_corpus.py``), so whatever a fuzzer once found
stays a test.

- ``path``: ``normalise_path`` on any text. It raises nothing but BadResource; what it
  returns is its own normal form, starts with ``/``, and holds no segment that a server
  decoding once or twice could read as ``.`` or ``..``, a ``/``, a ``\\``, a NUL or a ``#``.
- ``url``: ``parse_url`` (what ``wicketgate decide`` and the API ask about) and the
  gatekeeper's ``_target`` (what the gateway hands the engine) on any text. They raise
  nothing but BadResource / ValueError, and agree: a URL both read is read as the same
  host, port and path, and one that ``wicketgate decide`` refuses is not allowed by the
  gateway.
- ``acl`` and ``auth``: any line as a Squid helper question, to a gatekeeper with a live
  session. One answer line, for the line's channel id; OK only if the session and the
  policy allow exactly that (as ``wicketgate decide`` reads the URL); the record agrees
  with the verdict; and the answers to ordinary questions asked after it are what they
  were before it. In these lines ``$USER`` and ``$PASS`` stand for the live session's
  name and password, so that seeds can reach past the login.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

from wicketgate.gateway.gatekeeper import (
    PORTAL_PATHS,
    Gatekeeper,
    _origin,
    _target,
    read_block_token,
    read_log_note,
)
from wicketgate.policy.engine import NOT_LISTED, WRONG_PORT
from wicketgate.policy.hosts import (
    BadResource,
    WebResource,
    normalise_host,
    normalise_path,
    parse_url,
)

CORPUS = Path(__file__).parent / "corpus"


class KnownBreak(AssertionError):
    """An invariant broken in a way already reported and not fixed yet (KNOWN_BREAKS): the
    fuzzers go on past it; the corpus replay expects it, and fails once it is fixed."""


# Why decide and the gateway disagree, in cases reported and not fixed yet (none now: the
# five the fuzzers found -- credentials, brackets, a TLS name read as a URL, whitespace
# and control characters -- were fixed in the gatekeeper's _target and tls question).
KNOWN_BREAKS: dict[str, str] = {}
TARGETS = ("path", "url", "acl", "auth")

POLICY = """
sites:
  - {name: NHS, hosts: [www.nhs.uk], category: HEALTH}
  - {name: OpenLearn, hosts: [www.open.edu], category: EDUCATION, paths: [/openlearn/]}
  - {name: Courses, hosts: ["*.learn.example.org"], category: EDUCATION, ports: [8443]}
  - {name: Library, hosts: [library.wing.test], category: EDUCATION, internal: true, ports: [8080]}
  - {name: Example News, hosts: [blocked.example.com], category: NEWS}
rules:
  - {id: learning, allow: [HEALTH, EDUCATION]}
  - {id: no-news, forbid: [NEWS], description: News sites are not part of this trial.}
"""
PORTAL_URL = "http://portal.wicketgate.test:8000"
# Questions whose answers no other line may change (the channel ids are the fuzzers' own).
# Squid's layout: ID LOGIN CLIENT METHOD URI SNI TUNNEL QUESTION.
ORDINARY = (
    b"9001 $USER 127.0.0.1 GET http://www.nhs.uk/conditions/ - - -",
    b"9002 $USER 127.0.0.1 GET http://www.open.edu/openlearn/course - - -",
    b"9003 $USER 127.0.0.1 GET http://www.open.edu/secret - - -",
    b"9004 $USER 127.0.0.1 CONNECT www.nhs.uk:443 www.nhs.uk - tls",
    b"9005 $USER 127.0.0.1 GET http://blocked.example.com/ - - -",
    b"9006 - 127.0.0.1 GET http://portal.wicketgate.test:8000/portal/home - - portal",
    b"9007 - 127.0.0.1 GET http://library.wing.test:8080/ - - internal",
    b"9008 $USER 127.0.0.1 GET https://www.nhs.uk/a www.nhs.uk www.nhs.uk:443 -",
)
_DOTS = (".", "..")


def check_path(data: bytes) -> None:
    path = data.decode("utf-8", "replace")
    try:
        normal = normalise_path(path)
    except BadResource:
        return
    _check_normal_path(normal, path)


def check_url(data: bytes) -> None:
    url = data.decode("utf-8", "replace")
    try:
        decided: WebResource | None = parse_url(url)
    except BadResource:
        decided = None
    if decided is not None and decided.path is not None:
        _check_normal_path(decided.path, url)
    for method in ("GET", "CONNECT"):
        try:
            target, _host = _target(method, url)
        except ValueError:  # BadResource, and what urlsplit raises
            continue
        try:
            gateway: WebResource | None = parse_url(target)
        except BadResource:
            gateway = None  # the engine refuses it: the gateway answers bad-request
        if method == "GET" and gateway is not None and decided != gateway:
            _broken(f"wicketgate decide reads {url!r} as {decided}, the gateway as {gateway}", url)
        if method == "CONNECT" and gateway is not None and gateway.path is not None:
            why = f"the TLS connection {url!r} is decided as the page {target!r}"
            _broken(why, url, connect=True)


@dataclass
class Helper:
    """A gatekeeper with one live session, as the gateway service holds it."""

    gate: Gatekeeper
    user: str
    password: str
    prison_number: str
    location: str
    at: dt.datetime
    baseline: dict[bytes, tuple[object, ...]] = field(default_factory=dict)

    def line(self, data: bytes) -> bytes:
        # Squid's lines end at a newline, so none is inside one.
        line = data.replace(b"\n", b" ")
        return line.replace(b"$USER", self.user.encode()).replace(b"$PASS", self.password.encode())

    def ask_ordinary(self) -> dict[bytes, tuple[object, ...]]:
        return {q: _essence(self.gate.answer_acl(self.line(q))) for q in ORDINARY}


def build_helper(folder: Path, at: dt.datetime) -> Helper:
    """The personas' estate with POLICY loaded and a session on Alan's laptop, in the
    database now (a test's, or the fuzzer's own), and a gatekeeper as the gateway service
    builds one on them, that never reads the database again, its clock stopped at ``at``."""
    from wicketgate.gateway.sessions import SessionTable
    from wicketgate.policy.codes import DEFAULT_CATEGORIES
    from wicketgate.policy.engine import Engine
    from wicketgate.policy.models import Category
    from wicketgate.testing.gateway import device_session
    from wicketgate.testing.personas import build_estate
    from wicketgate.testing.policy import import_policy

    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})
    estate = build_estate()
    import_policy(folder, POLICY)
    session, password = device_session(estate, "FUZZ-LT-1")
    sessions = SessionTable()
    sessions.refresh()
    live = sessions.get(session.username)
    assert live is not None
    engine = Engine(refresh_every=math.inf)
    engine.snapshot()
    gate = Gatekeeper(
        engine, sessions, grace_seconds=math.inf, portal_url=PORTAL_URL, clock=lambda: at
    )
    gate.fresh_at = time.monotonic()
    helper = Helper(gate, live.username, password, live.prison_number, live.location_kind, at)
    helper.baseline = helper.ask_ordinary()
    verdicts = [helper.baseline[q][0] for q in ORDINARY]
    # The world is as meant: allowed, allowed, not listed, allowed, forbidden, portal,
    # internal, allowed inside a decrypted connection.
    assert verdicts == [b"OK", b"OK", b"ERR", b"OK", b"ERR", b"OK", b"OK", b"OK"], helper.baseline
    return helper


def check_acl(helper: Helper, data: bytes) -> None:
    line = helper.line(data)
    answer = helper.gate.answer_acl(line)
    channel = line.partition(b" ")[0]
    _check_one_line(answer, channel)
    verdict, *notes = answer[len(channel) + 1 :].split(b" ")
    assert verdict in (b"OK", b"ERR"), answer
    _check_notes(verdict, notes, answer)
    if verdict == b"OK":
        _check_allowed(helper, line)
    assert _essence(helper.gate.answer_acl(line)) == _essence(answer), "asked again, answered anew"
    assert helper.ask_ordinary() == helper.baseline, f"{line!r} changed another line's answer"


def check_auth(helper: Helper, data: bytes) -> None:
    line = helper.line(data)
    answer = helper.gate.answer_auth(line)
    channel, _, rest = line.partition(b" ")
    _check_one_line(answer, channel)
    assert answer in (channel + b" OK", channel + b" ERR"), answer
    if answer.endswith(b" OK"):
        user, _, password = rest.partition(b" ")
        assert (_field(user), _field(password)) == (helper.user, helper.password), (
            f"{line!r} signed in without the session's name and password"
        )
    assert helper.ask_ordinary() == helper.baseline, f"{line!r} changed another line's answer"


def checker(target: str, helper: Helper | None = None) -> Callable[[bytes], None]:
    """The check for ``target``, one of TARGETS (acl and auth need a ``helper``)."""
    if target == "path":
        return check_path
    if target == "url":
        return check_url
    if helper is None:
        raise ValueError(f"the {target} target needs a gatekeeper")
    return {
        "acl": lambda data: check_acl(helper, data),
        "auth": lambda data: check_auth(helper, data),
    }[target]


# --- the invariants, one by one ---------------------------------------------------------


def _check_normal_path(normal: str, given: str) -> None:
    assert normal.startswith("/"), (given, normal)
    assert normalise_path(normal) == normal, f"{given!r} → {normal!r} is not its own normal form"
    for segment in normal.split("/"):
        # What a server that decodes once, or twice, reads each segment as.
        for read in (segment, unquote(segment), unquote(unquote(segment))):
            assert read.split(";", 1)[0] not in _DOTS, f"{given!r} → {normal!r}: a dot-segment"
            assert not {"/", "\\", "\x00", "#"} & set(read), f"{given!r} → {normal!r}: {read!r}"


def _check_one_line(answer: bytes, channel: bytes) -> None:
    assert b"\n" not in answer, answer
    assert answer.startswith(channel + b" "), f"answered {answer!r} on channel {channel!r}"


def _check_notes(verdict: bytes, notes: list[bytes], answer: bytes) -> None:
    """What goes with the verdict: a log note that says the same (but for the bare answers
    to a portal question and the bare OK to an internal-service one), a block-page token
    only with a refusal."""
    pairs = dict(note.partition(b"=")[::2] for note in notes)
    assert len(pairs) == len(notes), answer
    assert set(pairs) <= {b"log", b"message", b"clt_conn_tag", b"wicketgate_https"}, answer
    # What a CONNECT let through was opened to, and (once its TLS hello is read) how it is
    # handled: only on an OK.
    if b"clt_conn_tag" in pairs or b"wicketgate_https" in pairs:
        assert verdict == b"OK", answer
        assert pairs.get(b"wicketgate_https", b"inspect") in (b"inspect", b"pass-through"), answer
    if b"log" in pairs:
        decision, rules, *_ = read_log_note(pairs[b"log"].decode())
        assert decision == ("allow" if verdict == b"OK" else "deny") and rules, answer
    else:
        assert not notes, answer
    if b"message" in pairs:
        assert verdict == b"ERR", answer
        assert read_block_token(pairs[b"message"].decode()) is not None, answer


def _check_allowed(helper: Helper, line: bytes) -> None:
    """An OK is for what the policy allows, as ``wicketgate decide`` reads it, on the host
    and port the connection goes to."""
    fields = line.decode("utf-8", "replace").split(" ")[1:]
    assert len(fields) <= 7, f"{line!r}: more fields than Squid sends, allowed"
    fields += ["-"] * (7 - len(fields))
    login, _client, method, uri, sni, tunnel, question = fields
    method, sni, tunnel = _field(method.encode()), _field(sni.encode()), _field(tunnel.encode())
    if question == "portal":
        assert method != "CONNECT", line
        assert (sni, tunnel) == ("-", "-"), f"{line!r}: the (http) portal inside a tunnel"
        origin = _origin(uri)  # raises if it has none, which an OK must not have
        assert origin == _origin(PORTAL_URL), line
        assert normalise_path(urlsplit(uri).path or "/").startswith(PORTAL_PATHS), line
        return
    assert not question.startswith("portal"), f"{line!r}: the portal here is not on HTTPS"
    if question == "internal":
        host = uri.rpartition(":")[0].strip("[]") if method == "CONNECT" else urlsplit(uri).hostname
        assert helper.gate.engine.internal_host(host or ""), line
        return
    assert _field(login.encode()) == helper.user, f"{line!r} allowed without the session's name"
    if method == "CONNECT":
        authority, _, port = uri.rpartition(":")
        assert question == "tls" or sni == "-", f"{line!r}: a CONNECT with a TLS name again"
        if question == "tls":
            assert normalise_host(sni) == normalise_host(authority), f"{line!r}: another name"
        url = f"{authority}:{port}"
        try:
            decision = helper.gate.engine.decide(
                helper.prison_number, url, at=helper.at, location=helper.location
            )
        except ValueError:
            _broken(f"{line!r} allowed, but wicketgate decide refuses {url!r}", url, connect=True)
        # Inspected (every site of this world): a catalogue host on one of its ports.
        if {NOT_LISTED, WRONG_PORT} & set(decision.rules):
            _broken(f"{line!r} allowed, but {url!r} is {decision.rules}", url, connect=True)
        return
    url = uri
    if (sni, tunnel) != ("-", "-"):  # read from a decrypted connection: held to it
        host, _, port = tunnel.rpartition(":")
        parts = urlsplit(uri)
        assert parts.scheme == "https", line
        assert normalise_host(parts.hostname or "") == normalise_host(host), line
        assert normalise_host(sni) == normalise_host(host), line
        assert (parts.port or 443) == int(port), line
        url = f"https://{host}:{port}{parts.path or '/'}"
    try:
        decision = helper.gate.engine.decide(
            helper.prison_number, url, at=helper.at, location=helper.location
        )
    except ValueError:
        _broken(f"{line!r} allowed, but wicketgate decide refuses {url!r}", url)
    if not decision.allowed:
        _broken(f"{line!r} allowed, but wicketgate decide denies {url!r}", url)


def _broken(why: str, url: str, *, connect: bool = False) -> NoReturn:
    """AssertionError, or KnownBreak for a kind of case reported and not fixed yet
    (KNOWN_BREAKS: none at the moment)."""
    del url, connect  # what a KnownBreak is recognised by, when there are some
    raise AssertionError(why)


def _field(raw: bytes) -> str:
    return unquote(raw.decode("utf-8", "replace"))


def _essence(answer: bytes) -> tuple[object, ...]:
    """An answer as what it means: the verdict, the record, and the block page's reasons
    (the token itself carries a timestamp)."""
    verdict, *notes = answer.partition(b" ")[2].split(b" ")
    pairs = dict(note.partition(b"=")[::2] for note in notes)
    message = pairs.get(b"message")
    reasons = read_block_token(message.decode()) if message is not None else None
    return verdict, pairs.get(b"log"), reasons
