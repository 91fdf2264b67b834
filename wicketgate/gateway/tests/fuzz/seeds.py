"""The corpus's seeds: the nasty paths, URLs and helper lines the gateway's tests already
know (test_bad_input.py, the adversarial suite), written as ``seed-<sha1>`` files.

    .venv/bin/python -m wicketgate.gateway.tests.fuzz.seeds

Run again after adding to the lists below; files already there are left as they are.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote

CORPUS = Path(__file__).parent / "corpus"

# Paths that tried to leave a site's prefix or be read two ways (adversarial suite,
# hosts.normalise_path's docstring), and some that are fine.
PATHS = [
    "/openlearn/../secret",
    "/openlearn/%2e%2e/secret",
    "/openlearn/.%2E/secret",
    "/openlearn/..%2fsecret",
    "/openlearn/..%5csecret",
    "/openlearn/..;/secret",
    "/openlearn/%252e%252e/secret",
    "/openlearn//../secret",
    "/openlearn/./course",
    "/secret%23/../openlearn/x",
    "/secret#/../openlearn/x",
    "/portal/../staff/",
    "/portal/%2e%2e/api/v1/",
    "/portal/..%2fstaff/",
    "/portal/..;/family/",
    "/assets//../staff/",
    "/%2%65%2%65/",
    "/%25%32%65%25%32%65/",
    "/%2525252F",
    "/a/%00/b",
    "/a\\..\\b",
    "/%C0%AE%C0%AE/secret",
    "/\uff0e\uff0e/secret",
    "/a/b/../../../..",
    "/a/./b/./",
    "/.",
    "/..",
    "",
    "/",
    "a/../b",
    "/%7Euser/%41%42",
    "/a;b/..;x/c",
]
HOSTS = ["www.open.edu", "www.nhs.uk", "portal.wicketgate.test:8000", "library.wing.test:8080"]
URLS = [
    *(f"http://www.open.edu{p}" for p in PATHS),
    "http://user:pw@www.nhs.uk/",
    "http://www.nhs.uk@blocked.example.com/",
    "http://blocked.example.com\\@www.nhs.uk/",
    "HTTP://WWW.NHS.UK./conditions/",
    "http://www.nhs.uk:0080/",
    "http://www.nhs.uk:8443/",
    "https://a.b.learn.example.org:8443/x",
    "http://[::1]:80/",
    "http://www.nhs.uk/a?b=http://blocked.example.com/",
    " http://www.nhs.uk/ ",
    "www.nhs.uk:443",
    "[::1]:443",
    "www.nhs.uk",
    "http://library.wing.test:8080/",
    "http://portal.wicketgate.test:8000/portal/../staff/",
]
TLS_NAMES = ["-", "www.nhs.uk", "blocked.example.com", "", "www.nhs.uk\x00"]


def urls() -> list[str]:
    from wicketgate.gateway.tests.test_bad_input import NASTY_URLS

    return [*NASTY_URLS, *URLS]


def acl_lines() -> list[bytes]:
    lines = []
    for channel, url in enumerate(urls()):
        for method in ("GET", "CONNECT"):
            lines.append(_line(channel, "$USER", method, url, "-", "-"))
    for authority in ("www.nhs.uk:443", "blocked.example.com:443", "www.nhs.uk:8080"):
        for name in TLS_NAMES:
            lines.append(_line(1, "$USER", "CONNECT", authority, name, "-"))
            lines.append(_line(1, "$USER", "CONNECT", authority, name, "tls"))
    # Requests read from a decrypted connection: held to its host and port.
    for url in (
        "https://www.nhs.uk/a",
        "https://blocked.example.com/",
        "https://www.nhs.uk:8443/",
        "https://www.open.edu/openlearn/x",
        "http://www.nhs.uk/",
        "https://WWW.NHS.UK./a",
    ):
        for name, tunnel in (
            ("www.nhs.uk", "www.nhs.uk:443"),
            ("blocked.example.com", "www.nhs.uk:443"),
            ("www.nhs.uk", "-"),
            ("-", "www.nhs.uk:443"),
            ("www.open.edu", "www.open.edu:443"),
        ):
            lines.append(_line(16, "$USER", "GET", url, name, "-", tunnel))
    # A TLS name that writes fields and lines of its own (Squid escapes it: %#).
    lines += [
        _line(17, "$USER", "CONNECT", "www.nhs.uk:443", "www.nhs.uk - tls", "tls"),
        _line(17, "$USER", "CONNECT", "www.nhs.uk:443", "www.nhs.uk\n1 x", "tls"),
        _line(18, "-", "CONNECT", "portal.wicketgate.test:8000", "-", "portal-connect"),
        _line(
            18,
            "-",
            "CONNECT",
            "portal.wicketgate.test:8000",
            "portal.wicketgate.test",
            "portal-tls",
        ),
    ]
    for path in PATHS:
        lines.append(_line(2, "-", "GET", f"http://{HOSTS[2]}{path}", "-", "portal"))
        lines.append(_line(3, "-", "GET", f"http://{HOSTS[3]}{path}", "-", "internal"))
    lines += [
        _line(4, "$USER", "CONNECT", "library.wing.test:8080", "-", "internal"),
        _line(4, "$USER", "CONNECT", "www.nhs.uk:443", "-", "internal"),
        _line(5, "nobody", "GET", "http://www.nhs.uk/", "-", "-"),
        b"6 $USER 127.0.0.1 GET http://www.nhs.uk/ - - extra fields",
        b"7 $USER",
        b"8",
        b"",
        b" ",
        b"9 $USER 127.0.0.1 GET http://www.nhs.uk/\r",
        b"10 %24USER 127.0.0.1 GET http://www.nhs.uk/ - -",
        b"\xff\xfe $USER 127.0.0.1 GET http://www.nhs.uk/ - -",
        b"11 $USER 127.0.0.1 G%C3%A9T http://www.nhs.uk/ - -",
        # As sent, unescaped: credentials before the host (decide refuses such a URL).
        b"12 $USER 127.0.0.1 GET http://user:pw@www.nhs.uk/ - -",
        b"13 $USER 127.0.0.1 GET http://blocked.example.com\\@www.nhs.uk/ - -",
        b"14 $USER 127.0.0.1 GET http://blocked.example.com%5C@www.nhs.uk/ - -",
        # A TLS name that is a URL: the tunnel must not be decided as that page.
        b"15 $USER 127.0.0.1 CONNECT www.nhs.uk:443 https%3A//www.open.edu/openlearn/ - tls",
    ]
    return lines


AUTH_LINES = [
    b"1 $USER $PASS",
    b"2 $USER wrong",
    b"3 $USER",
    b"4 $USER $PASS extra",
    b"5 %24USER $PASS",
    b"6 $USER%00 $PASS",
    b"7 nobody $PASS",
    b"8  $PASS",
    b"9",
    b"",
    b"\xff $USER $PASS",
    b"10 $USER $PASS\r",
]


def seeds() -> dict[str, list[bytes]]:
    return {
        "path": [p.encode() for p in PATHS],
        "url": [u.encode() for u in urls()],
        "acl": acl_lines(),
        "auth": AUTH_LINES,
    }


def _line(
    channel: int, login: str, method: str, uri: str, sni: str, question: str, tunnel: str = "-"
) -> bytes:
    """As Squid asks (ID LOGIN CLIENT METHOD URI SNI TUNNEL QUESTION): each field escaped,
    but for escapes that are there already."""
    fields = (login, "127.0.0.1", method, uri, sni or "-", tunnel, question)
    return (f"{channel} " + " ".join(quote(f, safe="%:/$") for f in fields)).encode()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    import django

    django.setup()
    for target, inputs in seeds().items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            path = folder / f"seed-{hashlib.sha1(data).hexdigest()}"  # noqa: S324 - a name
            if not path.exists():
                path.write_bytes(data)


if __name__ == "__main__":
    main()
