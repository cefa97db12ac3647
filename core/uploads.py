"""Upload checks shared by every app: PDF, images and Office files only, size-limited,
and the content must look like what the name says (a renamed .exe is refused)."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

# extension → magic prefixes of the file's first bytes
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".ppt": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
ALLOWED_EXTENSIONS = tuple(sorted(_MAGIC))


def validate_upload(file: UploadedFile) -> None:
    name = file.name or ""
    ext = PurePath(name).suffix.lower()
    if ext not in _MAGIC:
        raise ValidationError(
            _("File type %(ext)s is not allowed; use PDF, images (PNG/JPEG) or Office files.")
            % {"ext": ext or "?"}
        )
    limit = settings.UPLOAD_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("The file is %(size)d MB; the limit is %(limit)d MB.")
            % {"size": -(-file.size // (1024 * 1024)), "limit": limit // (1024 * 1024)}
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not any(head.startswith(m) for m in _MAGIC[ext]):
        raise ValidationError(
            _("The content of %(name)s does not match its type %(ext)s.")
            % {"name": PurePath(name).name, "ext": ext}
        )


def private_upload_path(prefix: str, filename: str) -> str:
    """Stored under a random name (the original name is kept on the record)."""
    ext = PurePath(filename).suffix.lower()
    return f"{prefix}/{uuid.uuid4().hex}{ext}"
