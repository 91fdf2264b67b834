"""The offline library: kiwix-serve (Debian ``kiwix-tools``) serving the ZIM books in the
library folder, reached by prisoners only through the web gateway.

The folder (``WICKETGATE_LIBRARY_DIR``, by default ``library/`` in the data folder)
holds ``library.xml`` (kiwix-manage's list of books) and ``books/<name>.zim``.
kiwix-serve runs with ``--monitorLibrary``, so a book added or removed with
kiwix-manage is served, or gone, about a second later, without a restart. It listens on
``WICKETGATE_LIBRARY_LISTEN`` (loopback by default); devices use the name
``WICKETGATE_LIBRARY_HOST``, which only the gateway resolves (its hosts file,
:mod:`wicketgate.gateway.squid`). Each book is a catalogue site of its own: that host,
kiwix-serve's port, ``internal: true`` and the paths :func:`book_paths` gives, so policy
decides book by book.

What kiwix-serve 3.3.0 (libkiwix 11) answers, from its ``InternalServer::handle_request``,
checked against the running server:

- ``/<book>/<path>``: the book's entries (pages, images, CSS, scripts); ``/<book>`` and
  ``/<book>/`` redirect to its main page, a redirect entry to ``/<book>/<target>``. The
  namespace letter of old URLs is not needed (``/<book>/A/x`` and ``/<book>/x`` are the
  same entry). The book is the first path segment as given, percent-decoded, never
  normalised (``/maths/../history/x`` is book ``maths``, entry ``../history/x``: not
  found), and is case-sensitive.
- ``/raw/<book>/content/<path>`` and ``/raw/<book>/meta/<name>``: the same entries
  without anything injected, and the book's metadata.
- ``/search`` (``?content=<book>``, ``?books.name=<book>``, or every book at once),
  ``/suggest?content=<book>``, ``/random?content=<book>`` (a redirect into the book),
  ``/search/searchdescription.xml``: one book's, or every book's, content under a path that
  names no book.
- ``/catalog/...`` (OPDS: every book's title, description and id), ``/catch/external``
  (the page ``--blockexternal`` sends external links to), ``/skin/...`` (kiwix's own
  scripts and styles), ``/`` (the list of every book).

:func:`book_paths` allows ``/<book>/`` and nothing else: everything a book's pages link
to inside the book is under it. Left out, because the catalogue matches paths and these
would need a rule on the query string (``content=``, ``books.name=``) or would show
every book: ``/search``, ``/suggest``, ``/random`` (so a book's own search box and
"random page" do not work through the gateway), ``/catalog``, ``/``. Also left out:
``/raw/`` (nothing in a book links there) and ``/skin/`` (shared by all books, so no one
book's site can hold it; with ``--nosearchbar`` a page only loads
``/skin/block_external.js`` from it, and without that script an external link is simply
decided by the gateway like any other). kiwix-serve is never started with
``--nodatealiases`` (which, despite its name, makes ``/history/`` serve a book named
``history_2024-01``), and :func:`wicketgate.learning.zim.book_name_for` never makes
such a name anyway, nor one of kiwix-serve's own first segments (``search``, ``skin``…),
whose prefix would open that endpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wicketgate.learning.zim import ZimProblem, book_name_for

KIWIX_SERVE = "/usr/bin/kiwix-serve"
KIWIX_MANAGE = "/usr/bin/kiwix-manage"
# What kiwix-serve accepts as a library with no books yet (a missing or empty file stops
# it at start, and kiwix-manage writes this when the last book is removed).
EMPTY_LIBRARY = '<library version="20110515" />\n'
DEFAULT_LISTEN = "127.0.0.1:8090"
DEFAULT_HOST = "library.wicketgate.internal"


class LibraryError(RuntimeError):
    """The library cannot do what was asked; the message names why."""


@dataclass(frozen=True)
class LibrarySetup:
    folder: Path
    listen_address: str
    listen_port: int
    host: str  # the name devices use for the library; only the gateway resolves it
    threads: int = 8

    @property
    def library_xml(self) -> Path:
        return self.folder / "library.xml"

    @property
    def books(self) -> Path:
        return self.folder / "books"

    @property
    def lock_file(self) -> Path:
        return self.folder / ".library.lock"

    def book_file(self, name: str) -> Path:
        return self.books / f"{name}.zim"

    @property
    def reachable_address(self) -> str:
        """Where the gateway connects to: loopback for "every address"."""
        if self.listen_address in ("0.0.0.0", ""):  # noqa: S104 - compared with, not bound to
            return "127.0.0.1"
        if self.listen_address == "::":
            return "::1"
        return self.listen_address


def configured() -> LibrarySetup:
    """The library as the settings describe it."""
    folder = getattr(settings, "WICKETGATE_LIBRARY_DIR", None) or (
        Path(settings.DATA_DIR) / "library"
    )
    listen = str(getattr(settings, "WICKETGATE_LIBRARY_LISTEN", None) or DEFAULT_LISTEN)
    address, port = split_listen(listen)
    host = str(getattr(settings, "WICKETGATE_LIBRARY_HOST", None) or DEFAULT_HOST)
    return LibrarySetup(
        folder=Path(folder).resolve(),
        listen_address=address,
        listen_port=port,
        host=host.strip().lower().rstrip("."),
        threads=default_threads(),
    )


def split_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:8090`` → ("127.0.0.1", 8090); ``[::1]:8090`` → ("::1", 8090)."""
    address, colon, port = listen.strip().rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise LibraryError(
            f"WICKETGATE_LIBRARY_LISTEN={listen!r}: write it as address:port, e.g. {DEFAULT_LISTEN}"
        )
    return address.strip("[]"), int(port)


def default_threads() -> int:
    """kiwix-serve's request threads: each one waits on the disk while it reads a book, so
    two a core, at least kiwix-serve's own default of 4 and at most 32."""
    return max(4, min(32, 2 * (os.cpu_count() or 2)))


def command(setup: LibrarySetup) -> list[str]:
    """kiwix-serve in the foreground for ``setup``.

    No ``--ipConnectionLimit``: every request comes from the gateway, one address, so a
    limit per address would be a limit on the whole prison's reading; the gateway limits
    each device. No ``--urlRootLocation``: book URLs start with the book's name, which is
    what the catalogue's paths name.
    """
    return [
        KIWIX_SERVE,
        "--library",
        str(setup.library_xml),
        "--monitorLibrary",
        "--nosearchbar",
        "--blockexternal",
        "--nolibrarybutton",
        "--address",
        setup.listen_address,
        "--port",
        str(setup.listen_port),
        "--threads",
        str(setup.threads),
    ]


def prepare(setup: LibrarySetup) -> LibrarySetup:
    """Make the folder and, if there is none yet, a library with no books (which
    kiwix-serve starts with and serves nothing from until a book is added).

    Refuses every-address listening (0.0.0.0, ::): kiwix-serve answers anyone who reaches
    it (every book, its search and catalogue), so it must be reachable by the gateway
    alone: loopback, or an address on a network only the gateway is on."""
    if setup.listen_address in ("0.0.0.0", "::", "", "[::]"):  # noqa: S104 - refused, not bound
        raise LibraryError(
            f"WICKETGATE_LIBRARY_LISTEN {setup.listen_address or '(every address)'}: kiwix-serve "
            "must listen where only the gateway reaches it (say 127.0.0.1:8090), never on "
            "every address"
        )
    setup.books.mkdir(parents=True, exist_ok=True)
    if not setup.library_xml.exists() or setup.library_xml.stat().st_size == 0:
        _write_atomically(setup.library_xml, EMPTY_LIBRARY.encode())
    return setup


def book_paths(name: str) -> list[str]:
    """The path prefixes a catalogue site for book ``name`` lists: all of the book, and
    nothing of any other book or of kiwix-serve's own pages (module docstring)."""
    if book_name_for(name) != name:
        raise ZimProblem(f"{name!r} is not a book name")
    return [f"/{name}/"]


def install_book(setup: LibrarySetup, source: Path, name: str) -> Path:
    """Copy ``source`` (already checked with :func:`wicketgate.learning.zim.read_zim`) to
    ``books/<name>.zim`` and add it to the library: kiwix-serve serves it about a second
    later, without a restart. A book of that name is replaced. Refused (LibraryError) if
    the same ZIM file (its uuid) is in the library under another name: kiwix-manage keeps
    one entry per uuid, so adding it would move the other book."""
    _check_name(name)
    prepare(setup)
    target = setup.book_file(name)
    uuid = _uuid_of(source)
    with _changing(setup) as work:
        for book in _books(work):
            if book.id == uuid and Path(book.path).name != target.name:
                raise LibraryError(
                    f"{source.name} is the same ZIM file as the book "
                    f"'{Path(book.path).stem}' already in the library (uuid {uuid})"
                )
        # Copied beside the target and renamed into place: kiwix-serve never opens half a book.
        with tempfile.NamedTemporaryFile(
            dir=setup.books, prefix=f".{name}.", suffix=".part", delete=False
        ) as handle:
            temporary = Path(handle.name)
            with source.open("rb") as reading:
                shutil.copyfileobj(reading, handle, 1 << 20)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            temporary.chmod(0o644)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        for book in _books(work):  # the edition it replaces
            if Path(book.path).name == target.name and book.id != uuid:
                _manage(work, "remove", book.id)
        _manage(work, "add", str(target))
    return target


def remove_book(setup: LibrarySetup, name: str) -> bool:
    """Take book ``name`` out of the library and delete its file; False if it was not there."""
    _check_name(name)
    target = setup.book_file(name)
    found = False
    if setup.library_xml.exists():
        with _changing(setup) as work:
            for book in _books(work):
                if Path(book.path).name == target.name:
                    _manage(work, "remove", book.id)
                    found = True
    if target.exists():
        target.unlink()
        found = True
    return found


@dataclass(frozen=True)
class LibraryBook:
    id: str  # the ZIM file's uuid
    path: str  # as library.xml has it: relative to the library's folder
    name: str  # kiwix's "name" attribute: the ZIM's Name metadata, not the URL's name


def books(setup: LibrarySetup) -> list[LibraryBook]:
    """The books library.xml lists."""
    return _books(setup.library_xml)


def _check_name(name: str) -> None:
    try:
        book_paths(name)
    except ZimProblem as exc:
        raise LibraryError(str(exc)) from exc


def _books(library_xml: Path) -> list[LibraryBook]:
    if not library_xml.exists():
        return []
    # Our own file, written by kiwix-manage: no entities or DTDs from outside.
    root = ElementTree.parse(library_xml).getroot()  # noqa: S314 - our own kiwix-manage file
    return [
        LibraryBook(b.get("id", ""), b.get("path", ""), b.get("name", ""))
        for b in root.iter("book")
    ]


def _uuid_of(path: Path) -> str:
    from libzim.reader import Archive

    try:
        return str(Archive(str(path)).uuid)
    except Exception as exc:  # libzim's errors for a file that is not a book
        raise LibraryError(f"{path.name} cannot be read as a ZIM file: {exc}") from exc


def _manage(library_xml: Path, action: str, argument: str) -> None:
    if not Path(KIWIX_MANAGE).exists():
        raise LibraryError(
            f"{KIWIX_MANAGE} is not installed: run make install (it installs kiwix-tools)"
        )
    done = subprocess.run(  # noqa: S603 - fixed program, our own file names
        [KIWIX_MANAGE, str(library_xml), action, argument],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        problem = (done.stderr or done.stdout).strip()[-500:]
        raise LibraryError(f"kiwix-manage {action} {argument} failed: {problem}")


@contextlib.contextmanager
def _changing(setup: LibrarySetup) -> Iterator[Path]:
    """A working copy of library.xml to change with kiwix-manage, put in place whole when
    the block ends without an error; one change at a time (a lock).

    kiwix-serve 3.3.0 looks at library.xml's modification time once a second, in whole
    seconds, and reloads only when it is later than at its last load: it could read a
    file kiwix-manage is still writing, and would not see a second change made within
    the same second. So the file changes by a rename, and its time moves on by at least
    a second each time.
    """
    setup.folder.mkdir(parents=True, exist_ok=True)
    with setup.lock_file.open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        # In the same folder: kiwix-manage writes book paths relative to the file.
        work = setup.folder / ".library.xml.work"
        try:
            shutil.copyfile(setup.library_xml, work)
            yield work
            before = int(setup.library_xml.stat().st_mtime)
            after = max(int(time.time()), before + 1)
            work.chmod(0o644)
            os.utime(work, (after, after))
            os.replace(work, setup.library_xml)
        finally:
            work.unlink(missing_ok=True)
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _write_atomically(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(content)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
