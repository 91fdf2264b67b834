"""The offline library through the real gateway: kiwix-serve with two books, maths
(EDUCATION, which Alan's rules allow) and history (NEWS, which they forbid), each a
catalogue site of its own on the library's name and port, with the paths
``book_paths`` gives. Alan reads maths; every way of reaching history instead is
refused, and none of them brings back a word of it (issue 16)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wicketgate.gateway.tests.adversarial.conftest import Browsing, open_session
from wicketgate.learning.library import book_paths, install_book
from wicketgate.learning.tests.test_zim import PNG
from wicketgate.learning.zim import html_page, make_zim
from wicketgate.policy.engine import DOT_SEGMENTS, WRONG_PORT
from wicketgate.testing.gateway import block_reasons, curl, running_gateway
from wicketgate.testing.kiwix import RunningKiwix, get, running_kiwix
from wicketgate.testing.personas import Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIBRARY = "library.prison.test"
MATHS_TEXT = "Pythagoras squared the hypotenuse"
HISTORY_TEXT = "Harold fell at Hastings"
HISTORY_TITLE = "History of England"
POLICY = """
sites:
  - {name: Maths books, hosts: [HOST], category: EDUCATION, internal: true, ports: [PORT],
     paths: MATHS}
  - {name: History books, hosts: [HOST], category: NEWS, internal: true, ports: [PORT],
     paths: HISTORY}
rules:
  - {id: learning, allow: [HEALTH, EDUCATION]}
  - {id: no-news, forbid: [NEWS], description: News sites are not part of this trial.}
"""


@pytest.fixture(scope="module")
def kiwix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKiwix]:
    made = tmp_path_factory.mktemp("books")
    with running_kiwix() as running:
        for name, title, words in (
            ("maths", "Maths for everyone", MATHS_TEXT),
            ("history", HISTORY_TITLE, HISTORY_TEXT),
        ):
            source = make_zim(
                made / f"{name}.zim",
                title=title,
                pages={
                    "index": html_page(title, f"<p>{words}.</p><img src='img/logo.png'>"),
                    "more": html_page(f"{title}, more", f"<p>More: {words}.</p>"),
                    "img/logo.png": PNG,
                },
                description=f"{title}: {words}",
            )
            install_book(running.setup, source, name)
        for name in ("maths", "history"):
            for _ in range(100):  # served about a second after it is added
                if get(f"{running.base_url}/{name}/A/index")[0] == 200:
                    break
                time.sleep(0.05)
        # The bypasses below would work against kiwix-serve itself: the gateway stops them.
        assert "Hastings" in get(f"{running.base_url}/search?books.name=history&pattern=harold")[1]
        assert HISTORY_TEXT in get(f"{running.base_url}/raw/history/content/index")[1]
        yield running


@pytest.fixture
def library(
    world: Estate, settings: Any, kiwix: RunningKiwix, load_policy: Callable[..., Any]
) -> Iterator[Browsing]:
    load_policy(
        POLICY.replace("HOST", LIBRARY)
        .replace("PORT", str(kiwix.port))
        .replace("MATHS", str(book_paths("maths")))
        .replace("HISTORY", str(book_paths("history")))
    )
    # The gateway resolves the library's name itself (its own hosts file), as configured.
    settings.WICKETGATE_LIBRARY_HOST = LIBRARY
    settings.WICKETGATE_LIBRARY_LISTEN = f"127.0.0.1:{kiwix.port}"
    with running_gateway(settings) as gateway:
        hosts = gateway.layout.hosts.read_text()
        assert f"127.0.0.1 {LIBRARY}\n" in hosts
        yield Browsing(gateway, open_session(gateway, world, "alan"), "")


def _url(kiwix: RunningKiwix, path: str, host: str = LIBRARY) -> str:
    return f"http://{host}:{kiwix.port}{path}"


def _nothing_of_history(body: str) -> None:
    assert HISTORY_TEXT not in body and "Hastings" not in body and HISTORY_TITLE not in body


def test_alan_reads_a_maths_page_and_its_picture(library: Browsing, kiwix: RunningKiwix) -> None:
    gateway = library.gateway
    status, _, body = curl(gateway, _url(kiwix, "/maths/A/index"), library.alan)
    assert status == 200 and MATHS_TEXT in body
    status, _, body = curl(gateway, _url(kiwix, "/maths/A/more"), library.alan)
    assert status == 200 and f"More: {MATHS_TEXT}" in body
    picture = subprocess.run(
        ["curl", "-s", "-o", "-", "-x", gateway.proxy, "-U", library.alan, "--max-time", "10",
         _url(kiwix, "/maths/A/img/logo.png")],
        capture_output=True,
        check=True,
    )  # fmt: skip
    assert picture.stdout == PNG
    # The book's own address leads to its main page.
    status, redirect, _ = curl(gateway, _url(kiwix, "/maths"), library.alan)
    assert status == 302 and redirect.endswith(f"{LIBRARY}:{kiwix.port}/maths/index")


def test_a_history_page_is_refused_with_the_rule_that_forbids_it(
    library: Browsing, kiwix: RunningKiwix
) -> None:
    status, redirect, body = curl(library.gateway, _url(kiwix, "/history/A/index"), library.alan)
    assert status == 302
    _nothing_of_history(body)
    reasons = block_reasons(redirect)
    assert reasons["i"] == ["rule:estate:no-news"], reasons
    assert reasons["r"] == ["News sites are not part of this trial."], reasons


# Each: a path on the library (raw: sent exactly as written, dot-segments and all).
AROUND = {
    "dot-segments": "/maths/A/../../history/A/index",
    "dot-segments, one level": "/maths/../history/A/index",
    "encoded dots": "/maths/A/%2e%2e/%2e%2e/history/A/index",
    "encoded dots, upper case": "/maths/%2E%2E/history/A/index",
    "encoded dots, half": "/maths/.%2e/history/A/index",
    "double-encoded dots": "/maths/%252e%252e/history/A/index",
    "encoded slash": "/maths%2F..%2Fhistory/A/index",
    "encoded slash after dots": "/maths/..%2Fhistory/A/index",
    "encoded backslash": "/maths/..%5Chistory/A/index",
    "backslash": "/maths/..\\history/A/index",
    "dot-segment with parameters": "/maths/..;/history/A/index",
    "double slash then dots": "/maths//../history/A/index",
    "double slash at the start": "//history/A/index",
    "double slash inside maths": "/maths//history/A/index",
    "encoded letters": "/hist%6Fry/A/index",
    "encoded letters after maths": "/m%61ths/../history/A/index",
    "upper case": "/HISTORY/A/index",
    "capitalised": "/History/A/index",
    "capitalised maths, then dots": "/Maths/../history/A/index",
    "raw content": "/raw/history/content/index",
    "raw metadata": "/raw/history/meta/Title",
    "raw under maths' prefix": "/maths/../raw/history/content/index",
    "search by book name": "/search?books.name=history&pattern=harold",
    "search by content": "/search?content=history&pattern=harold",
    "search everything": "/search?pattern=harold",
    "search from maths' prefix": "/maths/../search?content=history&pattern=harold",
    "random page": "/random?content=history",
    "suggestions": "/suggest?content=history&term=hast",
    "catalogue": "/catalog/v2/entries",
    "catalogue, OPDS v1": "/catalog/root.xml",
    "catalogue search": "/catalog/v2/entries?q=hastings",
    "the library's home page": "/",
    "external link catcher": "/catch/external?source=http://evil.example/",
    "kiwix's own files": "/skin/block_external.js",
    "history's prefix, then dots back to maths": "/history/../maths/A/index",
    "history's prefix, encoded dots back to maths": "/history/%2e%2e/maths/A/index",
}


@pytest.mark.parametrize("path", AROUND.values(), ids=AROUND.keys())
def test_a_way_around_to_history_is_refused(
    library: Browsing, kiwix: RunningKiwix, path: str
) -> None:
    status, redirect, body = curl(library.gateway, _url(kiwix, path), library.alan, "--path-as-is")
    _nothing_of_history(body)
    assert status != 200 or MATHS_TEXT in body, (status, body[:300])
    if status == 302 and "/portal/blocked" in redirect:
        assert block_reasons(redirect)["i"], redirect


def test_the_library_by_its_address_is_refused(library: Browsing, kiwix: RunningKiwix) -> None:
    for host in ("127.0.0.1", "localhost", "127.1", "[::1]", "2130706433"):
        for path in ("/history/A/index", "/maths/A/index"):
            status, _, body = curl(library.gateway, _url(kiwix, path, host), library.alan)
            assert status != 200, (host, path)
            _nothing_of_history(body)
            assert MATHS_TEXT not in body


def test_the_library_name_in_another_case_is_the_same_site(
    library: Browsing, kiwix: RunningKiwix
) -> None:
    status, _, body = curl(
        library.gateway, _url(kiwix, "/history/A/index", LIBRARY.upper()), library.alan
    )
    assert status == 302
    _nothing_of_history(body)
    status, _, body = curl(
        library.gateway, _url(kiwix, "/maths/A/index", "Library.Prison.Test."), library.alan
    )
    assert status == 200 and MATHS_TEXT in body


def test_another_port_on_the_library_is_refused(library: Browsing, kiwix: RunningKiwix) -> None:
    gateway = library.gateway
    for port in (80, 443, 22, kiwix.port + 1, gateway.port):
        status, redirect, body = curl(
            gateway, f"http://{LIBRARY}:{port}/history/A/index", library.alan
        )
        assert status == 302 and block_reasons(redirect)["i"] == [WRONG_PORT], port
        _nothing_of_history(body)
    # Nor over TLS on its port (kiwix-serve speaks none; the gateway decides the CONNECT).
    status, _, body = curl(gateway, f"https://{LIBRARY}:{kiwix.port}/history/A/index", library.alan)
    assert status != 200
    _nothing_of_history(body)


@pytest.mark.parametrize(
    ("url_host", "header"),
    [
        ("LIBRARY", "www.nhs.uk"),  # the URL decides: Host says an approved site
        ("www.nhs.uk", "LIBRARY"),  # an approved site's URL, Host naming the library
        ("LIBRARY", "LIBRARY_OTHER_PORT"),
    ],
)
def test_a_host_header_that_disagrees_with_the_url_is_no_way_in(
    library: Browsing, kiwix: RunningKiwix, url_host: str, header: str
) -> None:
    names = {
        "LIBRARY": f"{LIBRARY}:{kiwix.port}",
        "LIBRARY_OTHER_PORT": f"{LIBRARY}:80",
        "www.nhs.uk": "www.nhs.uk",
    }
    url = f"http://{names[url_host]}/history/A/index"
    status, _, body = curl(library.gateway, url, library.alan, "-H", f"Host: {names[header]}")
    _nothing_of_history(body)
    assert status != 200 or "hello from" in body  # the NHS stand-in, not the library


def test_without_a_session_nothing_of_the_library_is_served(
    library: Browsing, kiwix: RunningKiwix
) -> None:
    status, _, body = curl(library.gateway, _url(kiwix, "/maths/A/index"), None)
    assert status == 407 and MATHS_TEXT not in body


@pytest.mark.parametrize(
    "path",
    ["/history/../maths/A/index", "/history/%2e%2e/maths/A/index", "/maths/./A/index"],
)
def test_a_path_with_dot_segments_never_reaches_a_book(
    library: Browsing, kiwix: RunningKiwix, path: str
) -> None:
    """The gateway resolves dot-segments and kiwix-serve does not (it would read the first
    as book history): a book's site is never reached through them, whatever they name."""
    status, redirect, body = curl(library.gateway, _url(kiwix, path), library.alan, "--path-as-is")
    assert status == 302, (status, body[:300])
    assert MATHS_TEXT not in body
    _nothing_of_history(body)
    assert block_reasons(redirect)["i"] == [DOT_SEGMENTS]
