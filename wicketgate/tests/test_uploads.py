"""Uploads never reach the disk unencrypted, and a file too big stays too big."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.test import RequestFactory

from wicketgate.lib.uploads import MAX_BYTES


def files_of(content: bytes) -> dict[str, object]:
    upload = io.BytesIO(content)
    upload.name = "passport.jpg"
    request = RequestFactory().post("/anywhere", {"document_image": upload})
    return dict(request.FILES.items())


def test_a_file_within_the_limit_is_kept_whole_in_memory() -> None:
    content = b"\xff\xd8\xff" + b"j" * (3 * 1024 * 1024)  # above Django's 2.5 MB for memory
    kept = files_of(content)["document_image"]
    assert isinstance(kept, InMemoryUploadedFile)  # not a temporary file on disk
    assert kept.read() == content and kept.size == len(content)


def test_a_file_over_the_limit_is_cut_one_byte_past_it() -> None:
    kept = files_of(b"x" * (MAX_BYTES + 4 * 1024 * 1024))["document_image"]
    assert isinstance(kept, InMemoryUploadedFile)
    assert kept.size == MAX_BYTES + 1 and len(kept.read()) == MAX_BYTES + 1


def test_more_than_one_file_in_a_request_is_refused() -> None:
    """Each file may hold 5 MB in memory: one a request keeps a request's memory bounded."""
    first, second = io.BytesIO(b"a"), io.BytesIO(b"b")
    first.name, second.name = "one.jpg", "two.jpg"
    request = RequestFactory().post("/anywhere", {"one": first, "two": second})
    with pytest.raises(TooManyFilesSent):
        request.FILES  # noqa: B018 - parsing the body is what is refused
