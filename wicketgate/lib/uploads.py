"""Uploaded files are kept in memory, never in a temporary file, and never more than
``MAX_BYTES + 1`` of any one: past that the rest is read and dropped, so that the form
sees a file too big and says so, and nothing unencrypted (a copy of someone's passport)
is ever written to the server's disk on its way in."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

MAX_BYTES = 5 * 1024 * 1024  # the largest file any form takes


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = MAX_BYTES + 1 - self.file.tell()
        if room > 0:
            self.file.write(raw_data[:room])

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        kept = self.file.tell()
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=kept,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
