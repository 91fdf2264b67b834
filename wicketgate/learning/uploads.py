"""ZIM books come in large (hundreds of megabytes): the book upload streams to a file in
the library's own folder, never held in memory, and stops at
``WICKETGATE_LIBRARY_MAX_UPLOAD_MB`` (the rest of the site keeps its 5 MB in-memory cap,
``wicketgate.lib.uploads``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class TooBig(StopUpload):
    pass


class BookUploadHandler(FileUploadHandler):
    """Writes the upload to a temporary file beside the library's books; refuses more than
    the limit (the form then says the file is too big, and the part is deleted)."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = int(settings.WICKETGATE_LIBRARY_MAX_UPLOAD_MB) << 20
        self.too_big = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        # One file a request (DATA_UPLOAD_MAX_NUMBER_FILES), so the limit is not multiplied.
        super().new_file(*args, **kwargs)
        folder = Path(settings.WICKETGATE_LIBRARY_DIR) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        upload = TemporaryUploadedFile(
            self.file_name or "book.zim", self.content_type or "", 0, self.charset
        )
        # TemporaryUploadedFile makes its file in FILE_UPLOAD_TEMP_DIR: move it here instead.
        if upload.file is not None:
            upload.file.close()
        upload.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by Django
            suffix=".upload", dir=folder
        )
        self.file = upload

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self.too_big = True
            raise TooBig(connection_reset=False)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        return self.file
