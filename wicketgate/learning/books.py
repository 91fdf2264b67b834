"""Adding books to the offline library and taking them out. Atomic, audited.

A book is checked whole with libzim, copied into the library (kiwix-serve serves it a
second later) and given a catalogue entry of its own: an internal site on the library's
host and port, limited to the book's own paths, in the category staff choose. Staff
*propose* that entry, and a second member of staff approves it as any catalogue site
(four eyes); an operator at the command line, trusted as ``policy import`` is, adds it
approved. Until it is approved, and then only where policy allows, no one reads it.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from wicketgate.accounts.models import UserKind
from wicketgate.audit.log import Actor, record_event
from wicketgate.learning.library import (
    LibraryError,
    LibrarySetup,
    book_paths,
    configured,
    install_book,
    remove_book,
)
from wicketgate.learning.models import Book
from wicketgate.learning.zim import ZimProblem, book_name_for, read_zim
from wicketgate.lib.errors import ActionError
from wicketgate.policy.imports import SiteEntry
from wicketgate.policy.models import Category, PolicyProposal, Site
from wicketgate.policy.proposals import ProposalError, do_propose_policy_change

SITE_PREFIX = "Library: "


class BookError(ActionError):
    """A book that cannot be added or removed; nothing was changed."""


def site_entry(name: str, title: str, category: str, setup: LibrarySetup) -> dict[str, object]:
    """The catalogue entry of a book, in the shape of a policy file's site."""
    return {
        "name": (SITE_PREFIX + title)[:120],
        "hosts": [setup.host],
        "category": category,
        "paths": book_paths(name),
        "ports": [setup.listen_port],
        "internal": True,
    }


def do_add_book(
    source: Path,
    *,
    filename: str,
    category: str,
    actor: Actor,
    reason: str = "",
    setup: LibrarySetup | None = None,
) -> Book:
    """Check the ZIM file at ``source``, put it in the library and propose (staff) or add
    (an operator) its catalogue entry. The file at ``source`` is copied, not moved."""
    setup = setup or configured()
    if not Category.objects.filter(code=category).exists():
        raise BookError(f"no category {category}", "category", category)
    try:
        name = book_name_for(filename)
        book = read_zim(source, name=name)
    except ZimProblem as exc:
        raise BookError(str(exc), "file") from None
    if Book.objects.filter(name=name, removed_at__isnull=True).exists():
        raise BookError(f"the library already has a book called {name}", "file", filename)
    entry = site_entry(name, book.title, category, setup)
    if Site.objects.filter(name=entry["name"]).exists():
        raise BookError(
            f"the catalogue already has a site called {entry['name']}", "file", filename
        )
    try:
        install_book(setup, source, name)
    except (LibraryError, OSError) as exc:
        raise BookError(f"the library could not take it: {exc}", "file") from None
    try:
        with transaction.atomic():
            added = Book.objects.create(
                name=name,
                title=book.title[:200],
                language=book.language[:20],
                description=book.description[:500],
                site_name=str(entry["name"]),
                category=Category.objects.get(code=category),
                size_bytes=book.size_bytes,
                sha256=book.sha256,
                article_count=book.article_count,
                added_by=actor.label,
                added_at=timezone.now(),
            )
            record_event(
                "learning.book.add",
                actor=actor,
                subject=added,
                details={
                    "book": name,
                    "title": book.title,
                    "sha256": book.sha256,
                    "size_bytes": book.size_bytes,
                    "category": category,
                },
            )
            _catalogue(entry, actor, reason or f"The offline library's book {book.title}")
    except BaseException:
        remove_book(setup, name)  # nothing half-written: the file goes with the row
        raise
    return added


def do_remove_book(
    book: Book, *, reason: str, actor: Actor, setup: LibrarySetup | None = None
) -> Book:
    """Take a book out of the library: its file goes, and its catalogue entry is retired."""
    setup = setup or configured()
    words = " ".join(reason.split())
    if not words:
        raise BookError("say why the book is removed", "reason")
    with transaction.atomic():
        locked = Book.objects.select_for_update().get(pk=book.pk)
        if locked.removed_at is not None:
            raise BookError(f"{locked.title} is already removed")
        locked.removed_at = timezone.now()
        locked.save(update_fields=["removed_at"])
        # Saved one by one, not bulk-updated: the save is what tells every engine (signals).
        for site in Site.objects.filter(name=locked.site_name, retired_at__isnull=True):
            site.retired_at = locked.removed_at
            site.save(update_fields=["retired_at"])
        record_event(
            "learning.book.remove",
            actor=actor,
            subject=locked,
            details={"book": locked.name, "title": locked.title, "reason": words[:300]},
        )
    try:
        remove_book(setup, locked.name)
    except (LibraryError, OSError) as exc:
        # Its catalogue entry is retired (no one reaches it); the file is left to an operator.
        raise BookError(
            f"{locked.title} is closed to everyone, but its file could not be removed: {exc}"
        ) from None
    return locked


def _catalogue(entry: dict[str, object], actor: Actor, reason: str) -> None:
    if actor.kind == UserKind.STAFF:
        try:
            do_propose_policy_change(
                PolicyProposal.Kind.SITE, entry, establishment=None, reason=reason, actor=actor
            )
        except ProposalError as exc:
            raise BookError(f"its catalogue entry cannot be proposed: {exc}", "category") from None
        return
    # An operator (the command line): approved as ``policy import`` approves.
    from wicketgate.policy.actions import _upsert_site

    parsed = SiteEntry.model_validate(entry)
    categories = {parsed.category: Category.objects.get(code=parsed.category)}
    _upsert_site(parsed, categories, actor, proposed_by=f"library ({actor.label})")
