"""The offline library: staff add and remove books; a prisoner sees the books they may
read now, each with why.

Adding a book needs ``MANAGE_LEARNING``; its catalogue entry is proposed for a second
member of staff to approve (``learning.books``). The upload streams to the library's own
folder (``learning.uploads``), so a large ZIM file never sits in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_somewhere
from wicketgate.audit.log import Actor
from wicketgate.learning.books import BookError, do_add_book, do_remove_book
from wicketgate.learning.library import configured
from wicketgate.learning.models import Book
from wicketgate.learning.uploads import BookUploadHandler
from wicketgate.policy.engine import engine
from wicketgate.policy.models import Category
from wicketgate.web.decorators import prisoner_required, somewhere_required, staff_required
from wicketgate.web.forms.base import GovukForm
from wicketgate.web.portals import signed_in_prisoner

MANAGE = Action.MANAGE_LEARNING


class BookForm(GovukForm):
    ACTION_FIELDS = {"file": "file", "category": "category", "reason": "reason"}

    file = forms.FileField(
        label=gettext_lazy("The book (a ZIM file)"),
        help_text=gettext_lazy(
            "A .zim file, such as those Kiwix publishes. It is checked whole before it is added."
        ),
        error_messages={"required": gettext_lazy("Choose the ZIM file")},
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload", "accept": ".zim"}),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Catalogue category"),
        help_text=gettext_lazy(
            "Who may read it follows the category's rules, and the courses that name it"
        ),
        error_messages={"required": gettext_lazy("Choose a category")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Why it should be in the library"),
        max_length=300,
        error_messages={"required": gettext_lazy("Say why the book should be added")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", ""),
            *Category.objects.order_by("name").values_list("code", "name"),
        ]


@require_GET
@staff_required
@somewhere_required(Action.TEACH)
def books(request: HttpRequest) -> HttpResponse:
    return _books_page(request, BookForm())


@csrf_exempt  # the upload handler must be set before the body is read: CSRF is checked below
@require_POST
@staff_required
@somewhere_required(MANAGE)
def add_book(request: HttpRequest) -> HttpResponse:
    handler = BookUploadHandler(request)
    request.upload_handlers = [handler]
    return _add_book(request, handler)


@csrf_protect
def _add_book(request: HttpRequest, handler: BookUploadHandler) -> HttpResponse:
    form = BookForm(request.POST, request.FILES)
    if handler.too_big:
        form.add_error(
            "file",
            _("The file is too big to upload: add it with wicketgate learning book add"),
        )
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            added = do_add_book(
                Path(upload.temporary_file_path()),
                filename=upload.name or "",
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                actor=Actor.of_user(request.user),
            )
        except BookError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _(
                    "%(title)s is in the library. Its catalogue entry waits for a second "
                    "member of staff to approve it in Policy."
                )
                % {"title": added.title},
            )
            return redirect("learning:books")
        finally:
            upload.close()
    return _books_page(request, form, status=400)


@require_http_methods(["POST"])
@staff_required
@somewhere_required(MANAGE)
@somewhere_required(Action.APPROVE_POLICY)  # the library is the estate's: not one prison's call
def remove_book(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Book.objects.filter(removed_at__isnull=True), pk=pk)
    reason = str(request.POST.get("reason", ""))
    try:
        do_remove_book(found, reason=reason, actor=Actor.of_user(request.user))
    except BookError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(title)s is removed.") % {"title": found.title})
    return redirect("learning:books")


@require_GET
@prisoner_required
def my_library(request: HttpRequest) -> HttpResponse:
    """The books of the library, open to this prisoner now or not, and why."""
    prisoner = signed_in_prisoner(request)
    setup = configured()
    now = timezone.now()
    deciding = engine()
    location = prisoner.location.kind if prisoner.location is not None else None
    shelves: dict[str, list[dict[str, Any]]] = {"open": [], "closed": []}
    for book in Book.objects.filter(removed_at__isnull=True).order_by("title"):
        if book.site is None:
            continue  # not yet approved: not in the catalogue at all
        address = f"http://{setup.host}:{setup.listen_port}/{book.name}/"
        try:
            decision = deciding.decide(prisoner.prison_number, address, at=now, location=location)
        except LookupError:
            raise Http404("not in the policy snapshot") from None
        shelves["open" if decision.allowed else "closed"].append(
            {"book": book, "address": address, "reasons": decision.reasons}
        )
    return render(request, "learning/portal/library.html", {"shelves": shelves})


def _books_page(request: HttpRequest, form: BookForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "learning/staff/books.html",
        {
            "books": [
                (book, book.site)
                for book in Book.objects.filter(removed_at__isnull=True).select_related("category")
            ],
            "form": form,
            "may_manage": may_somewhere(request.user, MANAGE),
            "may_remove": may_somewhere(request.user, MANAGE)
            and may_somewhere(request.user, Action.APPROVE_POLICY),
            "setup": configured(),
        },
        status=status,
    )
