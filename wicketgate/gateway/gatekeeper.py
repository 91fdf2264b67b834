"""Answers to Squid's helper questions: is this a live session's password, may it fetch this.

Squid's concurrency protocol, one line per question, each starting with a channel id
that the answer repeats:

- authentication (``auth_param basic``): ``ID USER PASSWORD`` → ``ID OK`` or ``ID ERR``;
- access (``external_acl_type``, the format in squid.conf): ``ID LOGIN CLIENT METHOD URI SNI
  TUNNEL QUESTION`` → ``ID OK log=...`` or ``ID ERR message=... log=...`` (see
  :func:`log_note`). QUESTION is the ACL's argument: ``-`` for "may this session fetch
  this", ``tls`` for "may this TLS connection go on, and is it inspected or passed
  through" (asked once the client's TLS hello is read), ``internal`` for "is this host an
  internal service the catalogue names" (asked only of requests to refused networks),
  ``portal`` for "is this one of the portal's pages". TUNNEL is the client connection's
  tag, which the answer to its CONNECT set (``clt_conn_tag=HOST:PORT``): for a request
  read from a decrypted connection (which has a SNI too), what the connection was opened
  to; ``-`` for a request of plain HTTP.

HTTPS. A CONNECT is decided on its authority (host and port), never on the name in the
TLS hello. Once the hello is read (``tls``), that name (SNI) must be the CONNECT's host,
or the connection is closed as a bypass attempt; then the connection is passed through
untouched (a site passed through: 443 only, decided whole) or decrypted (the default),
and each request read from it must name the host and port it was opened to: Squid sends
it there whatever its ``Host`` says.

Fields arrive %-encoded, ``-`` when Squid has no value; Squid escapes only what is not
escaped already, so the URI is read as it came (its escapes are the client's). ``message`` is a signed token
that Squid passes to the block page (``deny_info ... %o``), so the page can say why
without anyone being able to forge a reason; ``log`` goes to the access log (``%ea``),
from which every request is written to the audit log with its bytes and duration.

Nothing here touches the database: the policy snapshot and the sessions are in memory,
kept fresh by the service. When they are not fresh enough, everything is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.core import signing

from wicketgate.gateway.sessions import SessionTable
from wicketgate.policy.engine import NOT_LISTED, WRONG_PORT, Decision, Engine, UnknownPrisoner
from wicketgate.policy.hosts import (
    DEFAULT_PORTS,
    BadResource,
    normalise_host,
    normalise_path,
    parse_url,
)

log = logging.getLogger(__name__)

BLOCK_SALT = "wicketgate.gateway.block"

# Rule ids the gateway itself gives, besides the policy's own.
NO_SESSION = "gateway:no-session"
SESSION_ENDED = "gateway:session-ended"
WRONG_DEVICE = "gateway:wrong-address"  # a session's credentials used from another address
WRONG_ESTABLISHMENT = "gateway:wrong-establishment"
UNAVAILABLE = "gateway:unavailable"
BAD_REQUEST = "gateway:bad-request"
INTERNAL_ADDRESS = "gateway:internal-address"
INTERCEPT = "gateway:intercepted"  # a TLS connection let through to be decided per request
# A TLS name, Host or port that is not the connection's: an attempt to get past the gateway.
MISMATCHED_HOST = "gateway:mismatched-host"
NOT_HTTPS_PORT = "gateway:not-https-port"
# Rules that mark a refusal as an attempt to get past the gateway (its own audit action).
BYPASS_RULES = frozenset({MISMATCHED_HOST, WRONG_DEVICE})
# What a TLS connection is refused for even when its requests will be decided one by one.
CATALOGUE_REFUSALS = frozenset({NOT_LISTED, WRONG_PORT})

PLAIN = {
    NO_SESSION: "You are not signed in on this device. Sign in to use the internet.",
    SESSION_ENDED: "Your session on this device has ended. Sign in again to go on.",
    WRONG_DEVICE: (
        "These sign-in details belong to another device. Sign in on this one. "
        "The attempt has been recorded."
    ),
    WRONG_ESTABLISHMENT: "This session belongs to another establishment.",
    UNAVAILABLE: "Internet access is not available right now. Please try again in a few minutes.",
    BAD_REQUEST: "That address cannot be opened.",
    INTERNAL_ADDRESS: "That address leads to a network the gateway does not connect to.",
    MISMATCHED_HOST: (
        "This connection was opened to one site and then asked for another. "
        "That is not allowed, and it has been recorded."
    ),
    NOT_HTTPS_PORT: "That site is reached on the standard HTTPS port (443) only.",
}

# What the access log records for a request let through by the portal's own route.
PORTAL = "gateway:portal"
PORTAL_NOTE = b"log=allow;" + PORTAL.encode() + b";0;;"

# Squid's note on a CONNECT the ``tls`` answer lets through: how to handle it (squid.conf's
# ``acl wg_pass_through note``).
HTTPS_NOTE = "wicketgate_https"


@dataclass(frozen=True)
class Answer:
    allowed: bool
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    host: str = ""
    version: int = 0
    site: str | None = None
    category: str | None = None


class Gatekeeper:
    def __init__(
        self,
        engine: Engine,
        sessions: SessionTable,
        *,
        grace_seconds: float,
        portal_url: str = "",
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.grace_seconds = grace_seconds
        self.portal = _origin(portal_url) if portal_url else None
        self.clock = clock
        self.fresh_at: float | None = None  # time.monotonic() of the last good refresh
        # Set by the service: wait (briefly) for a look at the database that starts after
        # now, so that credentials handed out a moment ago work at once.
        self.catch_up: Callable[[], None] | None = None
        self.expired: dict[str, str] = {}  # username -> why, for the service to close
        self._tokens: dict[tuple[tuple[str, ...], tuple[str, ...], str], str] = {}
        self._replies: dict[tuple[int, str, bool], tuple[Decision, bytes]] = {}
        self._refusals: dict[tuple[str, bool], bytes] = {}

    @property
    def fresh(self) -> bool:
        return self.fresh_at is not None and time.monotonic() - self.fresh_at < self.grace_seconds

    # --- authentication ---------------------------------------------------------------

    def answer_auth(self, line: bytes, *, catch_up: bool = True) -> bytes:
        """One answer line for one question line, whatever the line holds. A session not
        seen yet is looked for first (``catch_up``) unless the caller has just done so."""
        channel, _, rest = line.partition(b" ")
        user, _, password = rest.partition(b" ")
        if not self.fresh:
            return channel + b" ERR"
        try:
            username = unquote(user.decode("utf-8", "replace"))
            if catch_up and self.sessions.get(username) is None and self.catch_up is not None:
                self.catch_up()  # opened since the last look? (a session is a row first)
            ok = self.sessions.check_password(
                username, unquote(password.decode("utf-8", "replace"))
            )
        except Exception:  # a bad line refuses that login alone, never the connection
            log.exception("gateway: refused a login it could not read")
            ok = False
        return channel + (b" OK" if ok else b" ERR")

    # --- access -----------------------------------------------------------------------

    def answer_acl(self, line: bytes) -> bytes:
        """One answer line for one question line, whatever the line holds: a question that
        cannot be read or decided is refused (``gateway:bad-request``, in the access log),
        and nothing else is touched."""
        channel, _, rest = line.partition(b" ")
        fields = rest.decode("utf-8", "replace").split(" ")
        fields += ["-"] * (7 - len(fields))
        # Squid escapes what is not escaped already: the URI arrives with the client's own
        # escapes intact, and decoding it here would decide on another path than the one
        # sent on (a %2F would become a /). The other fields are decoded.
        login, client, method, sni, tunnel = (
            unquote(field) if "%" in field else field for field in (*fields[:3], *fields[4:6])
        )
        uri, question = fields[3], fields[6]
        try:
            if len(fields) > 7:  # Squid escapes spaces: a line of more is forged
                raise BadResource(f"{len(fields)} fields")
            if question == "internal":
                return channel + b" " + self.internal(method, uri, sni)
            if question == "portal":
                portal = self.is_portal(method, uri, tunnel=tunnel, sni=sni)
                return channel + (b" OK " + PORTAL_NOTE if portal else b" ERR")
            if question == "portal-connect" and (sni != "-" or tunnel != "-"):
                # A CONNECT read from inside a decrypted connection: Squid would pass its
                # bytes on unread. Never the portal's; a session's is refused as such.
                return channel + b" ERR"
            if question in ("portal-connect", "portal-tls"):
                tag = self.portal_tunnel(method, uri, sni if question == "portal-tls" else None)
                if tag is None:
                    return channel + b" ERR"
                return channel + b" OK " + PORTAL_NOTE + b" clt_conn_tag=" + tag.encode()
            if question == "tls":
                return channel + b" " + self.decide(login, client, method, uri, sni, tls=True)
            if method == "CONNECT":  # with a TLS name: Squid's check of one it will splice
                return channel + b" " + self.decide(login, client, method, uri, sni)
            if tunnel != "-" or sni != "-":  # read from a decrypted connection
                return channel + b" " + self.decide(login, client, method, uri, sni, tunnel=tunnel)
            return channel + b" " + self.decide(login, client, method, uri, "-")
        except Exception:
            log.exception("gateway: refused a request it could not decide: %.200r", rest)
            return channel + b" " + self._refusal(BAD_REQUEST, method == "CONNECT")

    def decide(
        self,
        login: str,
        client: str,
        method: str,
        uri: str,
        sni: str,
        *,
        tls: bool = False,
        tunnel: str | None = None,
    ) -> bytes:
        """The reply to one question, as Squid reads it (after the channel id).

        ``tls``: the question asked of a CONNECT once its TLS hello is read (``sni`` is the
        name in it). A CONNECT asked about with a TLS name otherwise is Squid's last check
        of a connection it is about to pass through, or one sent inside a decrypted
        connection (refused). ``tunnel``: the request was read from a decrypted
        connection, opened to this ``HOST:PORT``.
        """
        connect = method == "CONNECT"
        if not self.fresh:
            return self._refusal(UNAVAILABLE, connect)
        session = self.sessions.get(login) if login != "-" else None
        if session is None:
            return self._refusal(NO_SESSION, connect)
        now = self.clock()
        why = self.sessions.expired(session, now)
        if why is not None:
            self.expired[session.username] = why
            return self._refusal(SESSION_ENDED, connect)
        if client != session.address:  # replayed from elsewhere; no address: never served
            return self._refusal(WRONG_DEVICE, connect)
        try:
            if tls and not connect:
                raise BadResource("a TLS hello is asked about on its CONNECT only")
            target, host = _target(method, uri)
            named = connect and (tls or sni != "-")
            if named and not _same_host(sni, host):
                return self._refusal(MISMATCHED_HOST, connect)  # fronting, or no name at all
            if tunnel is not None:
                target, same = _in_tunnel(target, host, tunnel, sni)
                if not same:
                    return self._refusal(MISMATCHED_HOST, connect)
        except ValueError:  # BadResource, and what urlsplit raises for a host it rejects
            return self._refusal(BAD_REQUEST, connect)
        self.sessions.touch(session.username, now)
        held = self.engine.snapshot().prisoners.get(session.prison_number)
        if held is None or held.attrs["establishment"] != session.establishment_code:
            return self._refusal(WRONG_ESTABLISHMENT, connect)  # transferred or released
        try:
            decision = self.engine.decide(
                session.prison_number, target, at=now, location=session.location_kind
            )
        except UnknownPrisoner:
            return self._refusal(WRONG_ESTABLISHMENT, connect)
        except ValueError:  # BadResource among them
            return self._refusal(BAD_REQUEST, connect)
        if connect:
            return self._connect(decision, target, host, tls=tls, again=named and not tls)
        return self._decided(decision, host, connect=False)

    def _connect(
        self, decision: Decision, target: str, host: str, *, tls: bool, again: bool
    ) -> bytes:
        """A CONNECT's reply: refused, or let through tagged with what it was opened to
        (the tag every request read from it is held to) and, once its TLS hello has been
        read, how it is handled. ``again``: asked with a TLS name, which only a connection
        passed through is (Squid checks it once more before splicing); a CONNECT inside a
        decrypted connection would be passed through unread."""
        if CATALOGUE_REFUSALS & set(decision.rules):
            return self._decided(decision, host, connect=True)
        passed_through = self.engine.passed_through(host)
        if again and not passed_through:
            return self._refusal(MISMATCHED_HOST, True)
        if passed_through:
            if not target.endswith(":443"):
                return self._refusal(NOT_HTTPS_PORT, True)
            reply = self._decided(decision, host, connect=True)
            mode = b"pass-through"
        else:
            # Decrypted and decided request by request, with the full address: the tunnel
            # needs only a catalogue host, on a port it is served on.
            reply = self.reply(Answer(True, (INTERCEPT,), (), host=host)).encode()
            mode = b"inspect"
        if not reply.startswith(b"OK"):
            return reply
        tag = b" clt_conn_tag=" + target.encode()
        return reply + tag + (b" " + HTTPS_NOTE.encode() + b"=" + mode if tls else b"")

    def _decided(self, decision: Decision, host: str, *, connect: bool) -> bytes:
        # Decisions are shared objects (the engine caches them): so are the replies.
        key = (id(decision), host, connect)
        known = self._replies.get(key)
        if known is not None and known[0] is decision:
            return known[1]
        reply = self.reply(_from_decision(decision, host), connect=connect).encode()
        if len(self._replies) >= 100_000:
            self._replies.clear()
        self._replies[key] = (decision, reply)
        return reply

    def is_portal(self, method: str, uri: str, *, tunnel: str = "-", sni: str = "-") -> bool:
        """Whether a request is for the prisoner portal's own pages: its origin, and a path
        under /portal/ or /assets/ as the web server will read it (``/portal/../staff/``
        is the staff site, and is not). Squid lets these through without a session. A
        request read from a decrypted connection goes where the connection was opened
        (``tunnel``): it is the portal's only if that is the portal too."""
        if method == "CONNECT" or self.portal is None:
            return False
        try:
            if _origin(uri) != self.portal:
                return False
            if tunnel != "-" or sni != "-":
                scheme, host, port = self.portal
                if scheme != "https" or not _same_host(sni, host) or tunnel != f"{host}:{port}":
                    return False
            path = normalise_path(urlsplit(uri).path or "/")
        except ValueError:  # BadResource, and what urlsplit raises
            return False
        return path.startswith(PORTAL_PATHS)

    def portal_tunnel(self, method: str, uri: str, sni: str | None) -> str | None:
        """For an HTTPS portal: whether a CONNECT is to the portal's origin (and, once its
        TLS hello is read, names it: ``sni``), which Squid then decrypts so that each
        request on it is held to the portal's pages. Its tag (``HOST:PORT``) if it is."""
        if method != "CONNECT" or self.portal is None or self.portal[0] != "https":
            return None
        _scheme, host, port = self.portal
        try:
            target, asked = _target(method, uri)
        except ValueError:
            return None
        if not _same_host(asked, host) or not target.endswith(f":{port}"):
            return None
        if sni is not None and not _same_host(sni, host):
            return None
        return f"{host}:{port}"

    def internal(self, method: str, uri: str, sni: str) -> bytes:
        """Squid asks this of a request whose host is on a refused network (an internal,
        private or link-local address, the gateway's own): OK only for the hosts of a
        catalogue site marked as an internal service. The refusal's note is what the access
        log records for the request."""
        try:
            # The host Squid connects to: a CONNECT's authority, never its TLS name.
            _target_url, host = _target(method, uri)
            allowed = self.engine.internal_host(host)
        except ValueError:
            allowed = False
        if allowed:
            return b"OK"
        return self._refusal(INTERNAL_ADDRESS, method == "CONNECT")

    def _refusal(self, rule: str, connect: bool) -> bytes:
        key = (rule, connect)
        reply = self._refusals.get(key)
        if reply is None:
            reply = self._refusals[key] = self.reply(_refuse(rule), connect=connect).encode()
        return reply

    def reply(self, answer: Answer, *, connect: bool = False) -> str:
        record = log_note(answer)
        if answer.allowed:
            return f"OK log={record}"
        if connect:
            return f"ERR log={record}"
        return f"ERR message={self.block_token(answer)} log={record}"

    def block_token(self, answer: Answer) -> str:
        """A signed, URL-safe token the block page reads the reasons from."""
        key = (answer.rules, answer.reasons, answer.host)
        token = self._tokens.get(key)
        if token is None:
            token = signing.dumps(
                {"h": answer.host, "r": list(answer.reasons), "i": list(answer.rules)},
                salt=BLOCK_SALT,
                compress=True,
            )
            if len(self._tokens) > 10_000:
                self._tokens.clear()
            self._tokens[key] = token
        return token


def log_note(answer: Answer) -> str:
    """The decision as one word for the access log: ``allow|deny;rules;version;reasons;category``.

    Only characters Squid writes to its log unescaped: rule ids and category codes are
    slugs, and the reasons (for a denial) are base64url-encoded UTF-8.
    """
    reasons = ""
    if not answer.allowed and answer.reasons:
        reasons = base64.urlsafe_b64encode("\n".join(answer.reasons).encode()).decode()
    return ";".join(
        (
            "allow" if answer.allowed else "deny",
            ",".join(answer.rules),
            str(answer.version),
            reasons,
            answer.category or "",
        )
    )


def read_log_note(
    note: str,
) -> tuple[str | None, tuple[str, ...], int | None, tuple[str, ...], str | None]:
    """(decision, rules, version, reasons, category) from :func:`log_note`'s word, as logged."""
    if note in ("", "-"):
        return None, (), None, (), None
    pieces = unquote(note).split(";")
    pieces += [""] * (5 - len(pieces))
    rules = tuple(filter(None, pieces[1].split(",")))
    version = int(pieces[2]) if pieces[2].isdigit() else None
    try:
        reasons = (
            tuple(base64.urlsafe_b64decode(pieces[3]).decode().split("\n")) if pieces[3] else ()
        )
    except ValueError:
        reasons = ()
    return pieces[0] or None, rules, version, reasons, pieces[4] or None


def read_block_token(token: str) -> dict[str, object] | None:
    """What a block page may show: the signed reasons, or the relay's fixed "unavailable"."""
    if token == "unavailable":  # noqa: S105 - the relay's fixed answer while the service is down
        return {"h": "", "r": [PLAIN[UNAVAILABLE]], "i": [UNAVAILABLE]}
    try:
        data = signing.loads(token, salt=BLOCK_SALT)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


@functools.lru_cache(maxsize=65536)
def _target(method: str, uri: str) -> tuple[str, str]:
    """What to decide on (the address without its query, or for a CONNECT its authority:
    ``host:port``, whatever name its TLS hello gives), and the host."""
    if _UNSPLIT.search(uri):  # Squid escapes these: what urlsplit would quietly drop
        raise BadResource(f"{uri[:200]!r}: whitespace or a control character")
    if method == "CONNECT":
        authority, _, port = uri.rpartition(":")
        if not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536:
            raise BadResource(f"{uri!r}: no port, or not a port")
        host = authority[1:-1] if authority[:1] == "[" and authority[-1:] == "]" else authority
        if not host or _NOT_IN_A_HOST.search(host):
            raise BadResource(f"{uri!r}: not a host and port")
        return f"{host}:{int(port)}", host
    # As wicketgate decide reads it (hosts.parse_url: credentials refused, the path in
    # normal form), less the query; the port always written.
    # A path with dot-segments is passed on as sent, so that decide sees them too (a site
    # limited to some paths is never reached by one: engine.DOT_SEGMENTS).
    resource = parse_url(uri)
    parts = urlsplit(uri)
    if resource.path is None or parts.scheme not in DEFAULT_PORTS:
        raise BadResource(f"{uri[:200]!r}: not an http or https address")
    path = parts.path if resource.dotted else resource.path
    return f"{parts.scheme}://{resource.host}:{resource.port}{path}", resource.host


_UNSPLIT = re.compile(r"[\x00-\x20\x7f]")
_NOT_IN_A_HOST = re.compile(r"[/@\[\]\\?#%]")


PORTAL_PATHS = ("/portal/", "/assets/")


@functools.lru_cache(maxsize=65536)
def _same_host(name: str, host: str) -> bool:
    """Whether the TLS hello's name is the host (in the engine's normal form); no name is
    not the host."""
    if not _HOST_NAME.fullmatch(name):  # a TLS name is ASCII (punycode): no space, no escape
        return False
    try:
        return normalise_host(name) == normalise_host(host)
    except ValueError:
        return False


_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9.])?")


@functools.lru_cache(maxsize=65536)
def _in_tunnel(target: str, host: str, tunnel: str, sni: str) -> tuple[str, bool]:
    """A request read from a decrypted connection opened to ``tunnel`` (``HOST:PORT``):
    the address to decide on (with the connection's port, where Squid sends it), and
    whether it names the connection's host and port, as the TLS hello did."""
    tunnel_host, _, tunnel_port = tunnel.rpartition(":")
    parts = urlsplit(target)
    if parts.scheme != "https" or not re.fullmatch(r"[0-9]{1,5}", tunnel_port):
        return target, False
    port = parts.port if parts.port is not None else DEFAULT_PORTS["https"]
    tunnel_host = tunnel_host.strip("[]")
    same = (
        port == int(tunnel_port) and _same_host(host, tunnel_host) and _same_host(sni, tunnel_host)
    )
    return f"https://{parts.hostname}:{int(tunnel_port)}{parts.path or '/'}", same


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; ValueError if it has none."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise BadResource(f"{url!r}: not an http or https address")
    return parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def _from_decision(decision: Decision, host: str) -> Answer:
    return Answer(
        decision.allowed,
        decision.rules,
        decision.reasons,
        host=host,
        version=decision.version,
        site=decision.site,
        category=decision.category,
    )


def _refuse(rule: str) -> Answer:
    return Answer(False, (rule,), (PLAIN[rule],))
