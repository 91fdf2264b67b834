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


@dataclass(frozen=True)
class WebResource:
    host: str
    path: str | None  # None: only the host is visible (HTTPS without interception)


def parse_url(url: str) -> WebResource:
    """``https://www.open.edu/x`` → (www.open.edu, /x); a bare host → (host, None)."""
    text = url.strip()
    if "://" not in text:
        return WebResource(normalise_host(text), None)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise BadResource(f"{url!r}: only http and https addresses are decided")
    if parts.username or parts.password:
        raise BadResource(f"{url!r}: an address with credentials in it is refused")
    return WebResource(normalise_host(parts.hostname or ""), parts.path or "/")


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
