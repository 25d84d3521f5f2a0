"""Photos from the quay: real images only (JPEG, PNG, WebP, HEIC by their first bytes, whatever
the name or the browser's content type say), size- and count-capped, stored under a random name
in the default storage (MEDIA_ROOT) and served only through ``views.photo`` after an access check.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from singlewindow.errors import DomainError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 8
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class CheckedPhoto:
    content: ContentFile[bytes]
    content_type: str
    size: int


def image_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image recognised by its first bytes; None otherwise."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic", "heic"
    return None


def photos_check(files: list[UploadedFile]) -> list[CheckedPhoto]:
    """Each upload read and checked; raises ``DomainError`` (pointer ``photos``) naming the first
    refused file. Nothing is stored here."""

    def refuse(code: str, message: str) -> DomainError:
        return DomainError(code, message, errors=[{"pointer": "photos", "code": code, "message": message}])

    if len(files) > MAX_PHOTOS:
        raise refuse(
            "too_many_photos",
            ngettext("Attach at most %(n)d photo.", "Attach at most %(n)d photos.", MAX_PHOTOS)
            % {"n": MAX_PHOTOS},
        )
    checked = []
    for upload in files:
        name = str(upload.name or "")[:80]
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            raise refuse(
                "photo_too_large",
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
            )
        data = upload.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise refuse(
                "photo_too_large",
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
            )
        kind = image_type(data[:16])
        if kind is None:
            raise refuse(
                "not_an_image",
                _("%(name)s is not a photo: JPEG, PNG, WebP or HEIC only.") % {"name": name},
            )
        content_type, extension = kind
        checked.append(
            CheckedPhoto(ContentFile(data, name=f"{uuid4().hex}.{extension}"), content_type, len(data))
        )
    return checked
