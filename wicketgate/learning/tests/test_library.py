"""The offline library against the real kiwix-serve: books added and removed while it
runs, served under the paths their catalogue sites list."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wicketgate.learning.library import (
    EMPTY_LIBRARY,
    LibraryError,
    LibrarySetup,
    book_paths,
    books,
    command,
    install_book,
    prepare,
    remove_book,
)
from wicketgate.learning.tests.test_zim import PNG
from wicketgate.learning.zim import ZimProblem, html_page, make_zim, read_zim
from wicketgate.policy.hosts import normalise_path, path_matches
from wicketgate.testing.kiwix import RunningKiwix, get, running_kiwix

pytestmark = pytest.mark.slow


def _book(folder: Path, name: str, words: str) -> Path:
    return make_zim(
        folder / f"{name}.zim",
        title=name.title(),
        pages={
            "index": html_page(name.title(), f"<p>{words}</p><img src='img/logo.png'>"),
            "more/page": html_page("More", f"<p>More {words}</p>"),
            "img/logo.png": PNG,
            "style.css": b"body { font-family: serif }",
        },
    )


@pytest.fixture
def kiwix() -> Iterator[RunningKiwix]:
    with running_kiwix() as running:
        yield running


def _served_within(url: str, status: int, seconds: float = 5) -> float:
    started = time.monotonic()
    while get(url)[0] != status:
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{url} was not {status} within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def test_it_starts_with_no_books(kiwix: RunningKiwix) -> None:
    assert kiwix.setup.library_xml.read_text() == EMPTY_LIBRARY
    assert books(kiwix.setup) == []
    assert get(f"{kiwix.base_url}/maths/A/index")[0] == 404


def test_a_book_installed_is_served_without_a_restart_and_removed_is_gone(
    kiwix: RunningKiwix, tmp_path: Path
) -> None:
    source = _book(tmp_path, "maths", "Pythagoras was here")
    read_zim(source)
    target = install_book(kiwix.setup, source, "maths")
    assert target == kiwix.setup.books / "maths.zim"
    assert target.read_bytes() == source.read_bytes()
    took = _served_within(f"{kiwix.base_url}/maths/A/index", 200)
    assert took < 5  # kiwix-serve looks at library.xml about once a second
    status, body = get(f"{kiwix.base_url}/maths/A/index")
    assert (status, "Pythagoras was here" in body) == (200, True)
    assert kiwix.process.poll() is None  # the same kiwix-serve, never restarted
    assert [Path(b.path).name for b in books(kiwix.setup)] == ["maths.zim"]

    assert remove_book(kiwix.setup, "maths") is True
    assert not target.exists()
    _served_within(f"{kiwix.base_url}/maths/A/index", 404)
    assert remove_book(kiwix.setup, "maths") is False
    assert kiwix.process.poll() is None


def test_a_book_with_the_same_name_is_replaced(kiwix: RunningKiwix, tmp_path: Path) -> None:
    install_book(kiwix.setup, _book(tmp_path / "one", "maths", "first edition"), "maths")
    _served_within(f"{kiwix.base_url}/maths/A/index", 200)
    install_book(kiwix.setup, _book(tmp_path / "two", "maths", "second edition"), "maths")
    deadline = time.monotonic() + 5
    while "second edition" not in get(f"{kiwix.base_url}/maths/A/index")[1]:
        assert time.monotonic() < deadline, "the new edition was not served in 5 s"
        time.sleep(0.05)
    assert len(books(kiwix.setup)) == 1


def test_the_same_zim_file_under_a_second_name_is_refused(
    kiwix: RunningKiwix, tmp_path: Path
) -> None:
    # kiwix-manage keeps one entry per ZIM uuid: adding it again would move the first book.
    source = _book(tmp_path, "maths", "numbers")
    install_book(kiwix.setup, source, "maths")
    with pytest.raises(LibraryError, match="same ZIM file as the book 'maths'"):
        install_book(kiwix.setup, source, "sums")
    assert not (kiwix.setup.books / "sums.zim").exists()
    _served_within(f"{kiwix.base_url}/maths/A/index", 200)


def test_a_bad_name_is_refused(kiwix: RunningKiwix, tmp_path: Path) -> None:
    source = _book(tmp_path, "maths", "numbers")
    for name in ("../maths", "Maths", "search", "maths_2024-01", ""):
        with pytest.raises(LibraryError):
            install_book(kiwix.setup, source, name)
    assert list(kiwix.setup.books.iterdir()) == []


def test_book_paths_cover_the_book_and_nothing_else(kiwix: RunningKiwix, tmp_path: Path) -> None:
    for name, words in (("maths", "Pythagoras"), ("history", "Hastings")):
        install_book(kiwix.setup, _book(tmp_path, name, words), name)
    _served_within(f"{kiwix.base_url}/history/A/index", 200)
    paths = book_paths("maths")
    assert paths == ["/maths/"]

    def allowed(path: str) -> bool:
        return any(path_matches(prefix, normalise_path(path)) for prefix in paths)

    # What the book's pages need: each is served, and each is under its paths.
    for path, expected in (
        ("/maths/A/index", b"Pythagoras"),
        ("/maths/A/img/logo.png", PNG),
        ("/maths/A/style.css", b"font-family"),
        ("/maths/A/more/page", b"More Pythagoras"),
        ("/maths/index", b"Pythagoras"),
    ):
        status, body = get(kiwix.base_url + path)
        assert status == 200 and allowed(path), path
        assert expected.decode("latin-1") in body or path.endswith(".png"), path
    for path in ("/maths", "/maths/"):  # the main page, by a redirect within the book
        assert get(kiwix.base_url + path)[0] == 302 and allowed(path)
    # Where kiwix-serve serves the other book, or every book: none is under them.
    for path in (
        "/history/A/index",
        "/raw/history/content/index",
        "/raw/maths/content/index",
        "/search",
        "/suggest",
        "/random",
        "/catalog/v2/entries",
        "/catch/external",
        "/skin/block_external.js",
        "/",
    ):
        assert not allowed(path), path
    with pytest.raises(ZimProblem):
        book_paths("search")


def test_the_command_is_kiwix_serve_watching_its_library(tmp_path: Path) -> None:
    setup = prepare(LibrarySetup(tmp_path / "library", "127.0.0.1", 8090, "library.test"))
    assert setup.library_xml.read_text() == EMPTY_LIBRARY
    line = command(setup)
    assert line[0] == "/usr/bin/kiwix-serve"
    for flag in ("--monitorLibrary", "--nosearchbar", "--blockexternal", "--nolibrarybutton"):
        assert flag in line
    assert line[line.index("--library") + 1] == str(setup.library_xml)
    assert "--nodatealiases" not in line and "-z" not in line
    # An existing library is kept.
    setup.library_xml.write_text("<library version='20110515'><book id='x'/></library>")
    prepare(setup)
    assert "book id='x'" in setup.library_xml.read_text()


@pytest.mark.parametrize("address", ["0.0.0.0", "::"])  # noqa: S104 - refused, not bound
def test_kiwix_serve_is_never_set_to_listen_on_every_address(tmp_path: Path, address: str) -> None:
    from wicketgate.learning.library import LibraryError, LibrarySetup, prepare

    setup = LibrarySetup(tmp_path, address, 8090, "library.test")
    with pytest.raises(LibraryError, match="never on every address"):
        prepare(setup)
