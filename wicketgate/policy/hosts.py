"""Which catalogue site a requested URL (or, for HTTPS without interception, host) is.

Host patterns are exact (``www.open.edu``) or wildcard (``*.open.edu``: any subdomain,
never the bare domain). A site may be limited to path prefixes; the most specific
match wins: an exact host over a wildcard, a longer wildcard over a shorter one, a
longer path prefix over a shorter one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class BadResource(ValueError):
    """The URL or host cannot be a request to a web site."""


# Every catalogue site is served on these; a site may name others.
STANDARD_PORTS = (80, 443)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WebResource:
    host: str
    path: str | None  # None: only the host is visible (HTTPS without interception)
    port: int = 443
    # The path as sent had a "." or ".." segment (raw or escaped). Servers disagree on them:
    # most resolve them, some (kiwix-serve) read the first segment as it stands, so a site
    # limited to some paths is not reached by such a path at all (engine.DOT_SEGMENTS).
    dotted: bool = False


def parse_url(url: str) -> WebResource:
    """``https://www.open.edu/x`` → (www.open.edu, /x, 443); a bare host (what a TLS
    connection shows), ``host`` or ``host:port`` → (host, None, port or 443)."""
    text = url.strip()
    if "://" not in text:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            return WebResource(normalise_host(text), None)
        return WebResource(normalise_host(host), None, _port(port_text, url))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # a host urlsplit refuses, or a port that is not one
        raise BadResource(f"{url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise BadResource(f"{url!r}: only http and https addresses are decided")
    if parts.username or parts.password:
        raise BadResource(f"{url!r}: an address with credentials in it is refused")
    path = parts.path or "/"
    return WebResource(
        normalise_host(parts.hostname or ""),
        normalise_path(path),
        port if port is not None else DEFAULT_PORTS[parts.scheme],
        dotted=has_dot_segments(path),
    )


def has_dot_segments(path: str) -> bool:
    """Whether a segment of ``path`` is ``.`` or ``..``, with unreserved escapes decoded."""
    decoded = _PERCENT.sub(_decode_unreserved, path)
    return any(segment.split(";", 1)[0] in (".", "..") for segment in decoded.split("/"))


def _port(text: str, url: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 0 < int(text) < 65536:
        raise BadResource(f"{url!r}: {text!r} is not a port")
    return int(text)


def normalise_path(path: str) -> str:
    r"""The path as a web server will read it, for matching against the catalogue's prefixes.

    RFC 3986's normalisation: percent-escapes of unreserved characters decoded (``%2e``
    is ``.``), then dot-segments removed (``/openlearn/../secret`` is ``/secret``). A path
    that a server might still read as another one is refused rather than guessed at: an
    encoded ``/`` or ``\``, a backslash, a NUL, a ``#`` (where servers end the path), a
    ``%`` that starts no escape, an escaped escape of one of those or of ``.``
    (``%252e``, for servers that decode twice), a ``.`` or ``..`` segment with
    parameters (``..;/``, which some servers read as ``..``), and dot-segments beside an
    empty segment (``//``, which some servers merge first and some do not).
    """
    if "\x00" in path or "\\" in path or "#" in path:
        raise BadResource(f"{path!r}: a path with a backslash, NUL or # in it is refused")
    if _BROKEN_ESCAPE.search(path):
        # One decoding could make an escape of it (%2%65 is %2e) for a server that decodes twice.
        raise BadResource(f"{path!r}: a path with a % that starts no escape is refused")
    decoded = _PERCENT.sub(_decode_unreserved, path)
    risky = _RISKY_ESCAPE.search(decoded)
    if risky:
        raise BadResource(f"{path!r}: a path with {risky.group(0)} in it is refused")
    segments = decoded.split("/")
    if any(s.split(";", 1)[0] in (".", "..") and ";" in s for s in segments):
        raise BadResource(f"{path!r}: a dot-segment with parameters is refused")
    if "//" in decoded and any(s in (".", "..") for s in segments):
        # Servers that merge slashes (nginx, Apache) and those that do not resolve the
        # dot-segments differently: /a//../b is /b to one and /a/b to the other.
        raise BadResource(f"{path!r}: a path with both // and a dot-segment is refused")
    return _remove_dot_segments(decoded)


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# After unreserved escapes are decoded: an encoded "/", "\", NUL or "#" (Squid passes a
# raw "#" on, escaped to the helper as %23, and servers end the path there), or an
# escaped "%" before one of those or before ".".
_RISKY_ESCAPE = re.compile(r"%(?:2F|5C|00|23|25(?:2[EF]|5C|00|23))", re.IGNORECASE)
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for an absolute path."""
    output: list[str] = []
    segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def normalise_host(host: str) -> str:
    name = host.strip().rstrip(".").lower()
    if not name:
        raise BadResource("no host given")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadResource(f"{host!r} is not a valid host name") from exc
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise BadResource(f"{host!r} is not a valid host name")
    return name


def check_pattern(pattern: str) -> str:
    """A host pattern in normal form; ValueError naming the problem."""
    text = pattern.strip().lower()
    if text.startswith("*."):
        base = normalise_host(text[2:])
        return "*." + base
    if "*" in text:
        raise ValueError(f"{pattern!r}: a wildcard may only be a leading '*.'")
    return normalise_host(text)


def host_candidates(host: str) -> list[str]:
    """The patterns that could match ``host``, most specific first."""
    labels = host.split(".")
    return [host] + ["*." + ".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def path_matches(prefix: str, path: str) -> bool:
    """``/openlearn/`` matches ``/openlearn/x``; ``/jobs`` matches ``/jobs`` and ``/jobs/…``."""
    if prefix.endswith("/"):
        return path.startswith(prefix) or path == prefix[:-1]
    return path == prefix or path.startswith(prefix + "/")
