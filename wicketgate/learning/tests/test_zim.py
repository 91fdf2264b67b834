"""Checking a staff upload as a ZIM book, naming it, and making small ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from libzim.writer import Creator

from wicketgate.learning.library_cli import library
from wicketgate.learning.zim import (
    ZimBook,
    ZimProblem,
    _Page,
    book_name_for,
    html_page,
    make_zim,
    read_zim,
)

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def maths(tmp_path: Path) -> Path:
    return make_zim(
        tmp_path / "maths.zim",
        title="Maths for everyone",
        pages={
            "index": html_page("Maths", "<p>Pythagoras</p><img src='img/square.png'>"),
            "angles": html_page("Angles", "<p>A right angle is 90 degrees.</p>"),
            "img/square.png": PNG,
        },
        description="Numbers and shapes",
    )


def test_it_reads_a_good_book(maths: Path) -> None:
    book = read_zim(maths)
    assert isinstance(book, ZimBook)
    assert (book.name, book.title, book.language) == ("maths", "Maths for everyone", "eng")
    assert (book.description, book.creator, book.publisher) == (
        "Numbers and shapes",
        "Wicketgate",
        "Wicketgate",
    )
    assert book.main_path == "index"
    assert book.article_count == 2  # the two pages; the picture is not an article
    assert book.size_bytes == maths.stat().st_size
    assert len(book.sha256) == 64


def test_it_names_the_book_as_asked(maths: Path) -> None:
    assert read_zim(maths, name="algebra").name == "algebra"


def _problem(path: Path) -> str:
    with pytest.raises(ZimProblem) as caught:
        read_zim(path)
    message = str(caught.value)
    assert path.name in message
    return message


def test_random_bytes_are_not_a_zim_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.zim"
    path.write_bytes(bytes(range(256)) * 40)
    assert "is not a ZIM file" in _problem(path)


def test_a_web_page_renamed_zim_is_not_a_zim_file(tmp_path: Path) -> None:
    path = tmp_path / "page.zim"
    path.write_text("<!DOCTYPE html><html><body>" + "<p>not a book</p>" * 50 + "</body></html>")
    assert "is not a ZIM file" in _problem(path)


def test_an_empty_file_is_not_a_zim_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.zim"
    path.write_bytes(b"")
    assert "is not a ZIM file" in _problem(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "no such file" in _problem(tmp_path / "gone.zim")


def test_a_truncated_book_is_refused_as_damaged(maths: Path, tmp_path: Path) -> None:
    data = maths.read_bytes()
    for cut in (len(data) // 2, len(data) - 1):
        path = tmp_path / "cut.zim"
        path.write_bytes(data[:cut])
        assert "damaged" in _problem(path)


@pytest.mark.parametrize("where", [0.3, 0.5, 0.9, -3])  # -3: in the checksum itself
def test_a_flipped_byte_fails_the_checksum(maths: Path, tmp_path: Path, where: float) -> None:
    data = bytearray(maths.read_bytes())
    index = int(len(data) * where) if where > 0 else len(data) + int(where)
    data[index] ^= 0x01
    path = tmp_path / "flipped.zim"
    path.write_bytes(bytes(data))
    assert "checksum does not verify" in _problem(path)


def test_a_book_without_a_title_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "untitled.zim"
    with Creator(str(path)) as creator:
        creator.set_mainpath("index")
        creator.add_item(_Page("index", html_page("Page", "<p>text</p>")))
    assert "has no title" in _problem(path)


def test_a_book_without_a_main_page_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nomain.zim"
    with Creator(str(path)) as creator:
        creator.add_metadata("Title", "No main page")
        creator.add_item(_Page("index", html_page("Page", "<p>text</p>")))
    assert "has no main page" in _problem(path)


def test_a_book_without_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hollow.zim"
    with Creator(str(path)) as creator:
        creator.add_metadata("Title", "Nothing inside")
    assert "is empty" in _problem(path)


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("maths.zim", "maths"),
        ("Maths Basics.zim", "maths-basics"),
        ("HISTORY.ZIM", "history"),
        ("wikipedia_en_all_maxi.zim", "wikipedia_en_all_maxi"),
        ("C:\\Users\\staff\\Desktop\\Algebra 1.zim", "algebra-1"),
        ("../../etc/passwd.zim", "passwd"),
        ("  --Français & Cymraeg!!.zim", "fran-ais-cymraeg"),
        ("book.v2.zim", "book-v2"),
        ("no-extension", "no-extension"),
        ("_private.zim", "private"),
        ("a" * 120 + ".zim", "a" * 80),
        # kiwix-serve would also serve these as "wikipedia" and "history" (date aliases)
        ("wikipedia_2024-01.zim", "wikipedia-2024-01"),
        ("history_1066-10.zim", "history-1066-10"),
    ],
)
def test_it_names_a_book_after_its_file(filename: str, name: str) -> None:
    assert book_name_for(filename) == name


@pytest.mark.parametrize(
    "filename",
    [".zim", "!!!.zim", "éé.zim", "", "___.zim", "search.zim", "Skin.zim", "raw.zim",
     "catalog.zim", "random.zim", "suggest.zim", "catch.zim", "content.zim"],
)  # fmt: skip
def test_it_refuses_a_file_name_that_makes_no_book_name(filename: str) -> None:
    with pytest.raises(ZimProblem):
        book_name_for(filename)


def test_check_says_what_a_book_holds(maths: Path) -> None:
    result = CliRunner().invoke(library, ["check", str(maths)])
    assert result.exit_code == 0, result.output
    assert "title:\tMaths for everyone" in result.output
    assert "paths:\t/maths/" in result.output


def test_check_refuses_a_damaged_book_with_exit_1(maths: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.zim"
    broken.write_bytes(maths.read_bytes()[:1000])
    result = CliRunner().invoke(library, ["check", str(broken)])
    assert result.exit_code == 1
    assert "broken.zim is a damaged or incomplete ZIM file" in result.output


def test_check_without_a_file_is_wrong_usage() -> None:
    assert CliRunner().invoke(library, ["check"]).exit_code == 2
