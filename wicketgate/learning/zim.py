"""ZIM books for the offline library: checking one staff upload, naming it, and making
small ones (for the tests and the demo, which download nothing).

A ZIM file is what kiwix-serve serves (Wikipedia, Khan Academy, Gutenberg… are
published as ZIM files). An upload becomes a book only if python-libzim opens it, its
checksum verifies, and it has a main page, a title and some content: a damaged or
foreign file is refused here, with the reason, before kiwix-serve ever sees it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

from libzim.reader import Archive
from libzim.writer import (
    Creator,
    Hint,
    Item,
    StringProvider,
)

ZIM_MAGIC = (72173914).to_bytes(4, "little")  # the first four bytes of every ZIM file


class ZimProblem(ValueError):
    """The file cannot be a book of the library; the message names the file and why."""


@dataclass(frozen=True)
class ZimBook:
    name: str  # the book's name in kiwix-serve's URLs: /<name>/A/...
    title: str
    language: str
    description: str
    creator: str
    publisher: str
    date: str
    article_count: int
    size_bytes: int
    sha256: str
    main_path: str


def read_zim(path: Path, *, name: str | None = None) -> ZimBook:
    """What the ZIM file at ``path`` holds, once libzim has checked it whole.

    ``name``: the book's name (default: from the file name, :func:`book_name_for`).
    Raises :class:`ZimProblem` if it is not a ZIM file, is damaged (its checksum does not
    verify, or it has none to verify), has no main page, no title or no content.
    """
    path = Path(path)
    shown = path.name
    if not path.is_file():
        raise ZimProblem(f"{shown}: no such file")
    try:
        archive = Archive(str(path))
    except Exception as exc:  # libzim raises RuntimeError, sometimes others, for a bad file
        with path.open("rb") as handle:
            looks_like_zim = handle.read(4) == ZIM_MAGIC
        if looks_like_zim:
            raise ZimProblem(
                f"{shown} is a damaged or incomplete ZIM file ({_first_line(exc)}); "
                "copy it again from the original"
            ) from exc
        raise ZimProblem(f"{shown} is not a ZIM file ({_first_line(exc)})") from exc
    try:
        if not archive.has_checksum:
            raise ZimProblem(
                f"{shown} has no checksum, so it cannot be shown to be undamaged; "
                "make the ZIM file again with a current zimwriterfs or libzim"
            )
        if not archive.check():
            raise ZimProblem(
                f"{shown} is damaged: its checksum does not verify (an incomplete copy or "
                "upload?); copy it again from the original"
            )
        if archive.entry_count == 0 or archive.article_count == 0:
            raise ZimProblem(f"{shown} is empty: it has no pages")
        if not archive.has_main_entry:
            raise ZimProblem(f"{shown} has no main page, so it has nowhere to start")
        title = _metadata(archive, "Title")
        if not title:
            raise ZimProblem(f"{shown} has no title (its Title metadata is missing or empty)")
        main = archive.main_entry
        main_path = main.get_item().path if main.is_redirect else main.path
        return ZimBook(
            name=name or book_name_for(path.name),
            title=title,
            language=_metadata(archive, "Language"),
            description=_metadata(archive, "Description"),
            creator=_metadata(archive, "Creator"),
            publisher=_metadata(archive, "Publisher"),
            date=_metadata(archive, "Date"),
            article_count=int(archive.article_count),
            size_bytes=path.stat().st_size,
            sha256=_sha256(path),
            main_path=str(main_path),
        )
    except ZimProblem:
        raise
    except Exception as exc:  # a file damaged past its header fails anywhere in libzim
        raise ZimProblem(f"{shown} is damaged ({_first_line(exc)})") from exc


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def book_name_for(filename: str) -> str:
    """The book's name from an upload's file name: it is the first segment of every URL
    of the book in kiwix-serve (which names a book after its file), so it is held to
    ``[a-z0-9][a-z0-9_-]{0,79}``: lower case, anything else becomes ``-``.

    ``Maths Basics.zim`` → ``maths-basics``. Raises :class:`ZimProblem` if nothing is left.
    """
    stem = Path(filename.replace("\\", "/")).name
    if stem.lower().endswith(".zim"):
        stem = stem[:-4]
    text = re.sub(r"[^a-z0-9_-]+", "-", stem.lower())
    text = re.sub(r"-{2,}", "-", text).lstrip("-_").rstrip("-")[:80].rstrip("-")
    # kiwix-serve can also serve "name_2024-01" as "name" (its date aliases): never such a name.
    text = re.sub(r"_([0-9]{4}-[0-9]{2})$", r"-\1", text)
    if not _NAME.match(text):
        raise ZimProblem(
            f"{filename!r}: no book name can be made from this file name; "
            "rename it with letters or digits, e.g. maths-basics.zim"
        )
    if text in RESERVED_NAMES:
        raise ZimProblem(
            f"{filename!r}: '{text}' is a name kiwix-serve uses for its own pages; "
            f"rename the file, e.g. my-{text}.zim"
        )
    return text


# First path segments kiwix-serve answers itself (3.3.0, and later versions' /content,
# /viewer…): a book of that name would not be served, and its catalogue prefix would open
# that endpoint (``/search/`` matches ``/search``, which searches every book).
RESERVED_NAMES = frozenset(
    {"skin", "catalog", "raw", "search", "suggest", "random", "catch", "content", "viewer",
     "meta", "nojs"}
)  # fmt: skip


def make_zim(
    path: Path,
    *,
    title: str,
    pages: Mapping[str, str | bytes],
    main: str = "index",
    language: str = "eng",
    description: str = "",
    name: str | None = None,
) -> Path:
    """A small ZIM file at ``path`` made with libzim's writer: ``pages`` maps each path
    to its HTML (a ``str``) or to other content (``bytes``, its type from the path's
    extension, e.g. ``img/logo.png``); ``main`` is the main page's path. With a full-text
    index and a title index, as published books have. For the tests and the demo."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    creator = Creator(str(path)).config_indexing(True, language)
    with creator:
        creator.set_mainpath(main)
        for item_path, content in pages.items():
            creator.add_item(_Page(item_path, content))
        for key, value in (
            ("Name", name or book_name_for(path.name)),
            ("Title", title),
            ("Language", language),
            ("Description", description or title),
            ("Creator", "Wicketgate"),
            ("Publisher", "Wicketgate"),
            ("Date", "2024-01-01"),  # fixed: the same pages make the same book
        ):
            creator.add_metadata(key, value)
        creator.add_metadata("Tags", "_ftindex:yes")
    return path


class _Page(Item):  # type: ignore[misc]  # libzim's stub, untyped
    def __init__(self, path: str, content: str | bytes) -> None:
        super().__init__()
        self._path = path
        self._content = content

    def get_path(self) -> str:
        return self._path

    def get_title(self) -> str:
        if isinstance(self._content, str):
            found = re.search(r"<title>(.*?)</title>", self._content, re.S | re.I)
            if found:
                return found.group(1).strip()
        return self._path

    def get_mimetype(self) -> str:
        if isinstance(self._content, str):
            return "text/html"
        return mimetypes.guess_type(self._path)[0] or "application/octet-stream"

    def get_contentprovider(self) -> StringProvider:
        return StringProvider(self._content)

    def get_hints(self) -> dict[object, bool]:
        return {Hint.FRONT_ARTICLE: isinstance(self._content, str)}


def html_page(title: str, body: str) -> str:
    """A minimal page for :func:`make_zim`: ``body`` is HTML, ``title`` is text."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _metadata(archive: Archive, key: str) -> str:
    if key not in archive.metadata_keys:
        return ""
    return bytes(archive.get_metadata(key)).decode("utf-8", "replace").strip()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
