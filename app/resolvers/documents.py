"""Applicants' documents (応募書類: 履歴書, 職務経歴書): the seeker's upload, and who may read them.

The seeker of an application attaches up to 5 documents to it, with the application or later,
each at most 5 MB. What a file is comes from its bytes, never from its name or declared type:
a PDF that pypdf reads, with a page and no password, or a JPEG or PNG that Pillow decodes
whole. The bytes are stored as sent (`app.documents`), before the row commits. They are served
to the establishment of the posting and the staff of its office (`applicants.may_read`), each
read recorded, and to the seeker who sent them (DESIGN.md §5, §11).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from tortoise.transactions import in_transaction

from app import documents
from app.errors import ErrorCode, UserErrors, user_error
from app.models import Application, ApplicationDocument, Portal, User
from app.models.applications import DocumentFormat, DocumentKind, PersonalDataKind
from app.resolvers import applicants
from app.resolvers.images import IMAGE_DECODING
from app.runtime import Runtime
from app.viewer import Viewer

MAX_DOCUMENTS_PER_APPLICATION = 5
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# A scan of an A4 page at 600 dpi is 35 million pixels; decoding takes 3 to 4 bytes each.
MAX_DOCUMENT_PIXELS = 40_000_000
FILE_NAME_MAX_LENGTH = 100

CONTENT_TYPES = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.JPEG: "image/jpeg",
    DocumentFormat.PNG: "image/png",
}
EXTENSIONS = {
    DocumentFormat.PDF: ("pdf",),
    DocumentFormat.JPEG: ("jpg", "jpeg"),
    DocumentFormat.PNG: ("png",),
}
"""The extensions a file name of each format may end in; the first is the one given."""

DEFAULT_NAMES = {
    DocumentKind.RESUME: "履歴書",
    DocumentKind.CAREER_HISTORY: "職務経歴書",
    DocumentKind.OTHER: "応募書類",
}
"""The name of a document sent with no usable name of its own."""

_PDF_MAGIC = b"%PDF-"
# Pillow's names of the formats a document may be; MPO is the JPEG of many cameras, a JPEG
# with further pictures after the first.
_IMAGE_FORMATS = {
    "JPEG": DocumentFormat.JPEG,
    "MPO": DocumentFormat.JPEG,
    "PNG": DocumentFormat.PNG,
}
_PILLOW_PLUGINS = ["JPEG", "PNG"]
# Characters no file system of the clients' takes in a name.
_RESERVED = str.maketrans(dict.fromkeys('<>:"|?*', "_"))
_SEPARATORS = re.compile(r"[/\\]")
# Control and format characters (Cc, Cf: a right-to-left override can make `exe.pdf` look
# like `fdp.exe`), line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


@dataclass(frozen=True)
class CheckedFile:
    """Bytes that read as a document, with what they are."""

    file_format: DocumentFormat
    content_hash: str


@dataclass(frozen=True)
class DocumentDownload:
    """A document the viewer may have, with its application."""

    document: ApplicationDocument
    application: Application


# --- Checking the bytes ---------------------------------------------------------------------


def _unsupported() -> UserErrors:
    return user_error(
        ErrorCode.UNSUPPORTED_FILE_TYPE,
        "応募書類はPDF、JPEG、PNGのいずれかのファイルで登録してください。",
        "file",
    )


def _unreadable(message: str | None = None) -> UserErrors:
    return user_error(
        ErrorCode.DOCUMENT_INVALID,
        message or "ファイルを読み込めません。ファイルが壊れていないか確認してください。",
        "file",
    )


def _too_large(message: str) -> UserErrors:
    return user_error(ErrorCode.FILE_TOO_LARGE, message, "file")


def _too_many_pixels() -> UserErrors:
    return _too_large(
        f"画像の画素数が大きすぎます（{MAX_DOCUMENT_PIXELS:,}画素以内）。"
        "解像度を下げてから登録してください。"
    )


def check_file(data: bytes) -> CheckedFile:
    """What `data` is, by its bytes, and their hash; `UserErrors` for what is no document.

    CPU-bound: call it off the event loop.
    """
    file_format = _check_pdf(data) if data.startswith(_PDF_MAGIC) else _check_image(data)
    return CheckedFile(file_format=file_format, content_hash=hashlib.sha256(data).hexdigest())


def _check_pdf(data: bytes) -> DocumentFormat:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _unreadable(
                "パスワードで保護されたPDFは登録できません。保護を解除してから登録してください。"
            )
        pages = len(reader.pages)  # reads the whole page tree
    except (UserErrors, MemoryError):
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged or hostile input
        raise _unreadable() from exc
    if pages == 0:
        raise _unreadable("ページのないPDFは登録できません。")
    return DocumentFormat.PDF


def _check_image(data: bytes) -> DocumentFormat:
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_PLUGINS) as probe:
            file_format = _IMAGE_FORMATS[probe.format or ""]
            if probe.width * probe.height > MAX_DOCUMENT_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        # `verify` leaves the image unusable; decode it again, whole.
        with Image.open(io.BytesIO(data), formats=_PILLOW_PLUGINS) as image:
            image.load()
    except UnidentifiedImageError as exc:
        raise _unsupported() from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UserErrors, MemoryError):
        raise
    except Exception as exc:  # Pillow raises many kinds for damaged or hostile input
        raise _unreadable() from exc
    return file_format


def clean_file_name(name: str | None, file_format: DocumentFormat, kind: DocumentKind) -> str:
    """The name to keep and to download the file as: the last part of a path, without control
    characters or characters file systems refuse, ending in the extension of what the bytes
    are, and at most 100 characters (the end of a long name is cut, not its extension)."""
    base = _SEPARATORS.split(name or "")[-1]
    base = unicodedata.normalize("NFC", base)  # macOS sends かな with separate dakuten
    base = "".join(ch for ch in base if unicodedata.category(ch) not in _INVISIBLE)
    base = base.translate(_RESERVED).strip()
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    wanted = EXTENSIONS[file_format]
    if extension.lower() in wanted:
        suffix = extension
    else:
        # The bytes decide what the file is, and its name says so: `resume.pdf` that is a
        # PNG becomes `resume.png`; a name without a known extension keeps it and gains one.
        known = {ext for extensions in EXTENSIONS.values() for ext in extensions}
        stem = stem if dot and extension.lower() in known else base
        suffix = wanted[0]
    # No hidden file (`.pdf`), no name that Windows cuts (`resume .`).
    stem = stem.strip(" .") or DEFAULT_NAMES[kind]
    return f"{stem[: FILE_NAME_MAX_LENGTH - len(suffix) - 1].rstrip(' .')}.{suffix}"


# --- Uploading ------------------------------------------------------------------------------


def _application_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_id")


def _limit_reached() -> UserErrors:
    return user_error(
        ErrorCode.DOCUMENT_LIMIT_REACHED,
        f"応募書類は1件の応募につき{MAX_DOCUMENTS_PER_APPLICATION}件まで登録できます。",
        "file",
    )


async def _document_count(application_id: int) -> int:
    return await ApplicationDocument.filter(application_id=application_id).count()


async def _ensure_room(application_id: int, content_hash: str) -> None:
    """A place is free for the document, and the application does not have it already."""
    if await _document_count(application_id) >= MAX_DOCUMENTS_PER_APPLICATION:
        raise _limit_reached()
    if await ApplicationDocument.exists(application_id=application_id, content_hash=content_hash):
        raise user_error(ErrorCode.ALREADY_EXISTS, "同じファイルがすでに登録されています。", "file")


async def upload_document(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_id: int,
    kind: DocumentKind,
    file_name: str | None,
    data: bytes,
) -> ApplicationDocument:
    """The seeker attaches a document to their own application; another's, or one that is
    not there, is NOT_FOUND alike. Nothing is stored unless all of it is accepted."""
    user = viewer.require(Portal.SEEKER)
    application = await Application.get_or_none(id=application_id, seeker_id=user.id)
    if application is None:
        raise _application_not_found()
    # Refuse the 6th before spending any work on its bytes.
    if await _document_count(application.id) >= MAX_DOCUMENTS_PER_APPLICATION:
        raise _limit_reached()
    if not data:
        raise user_error(ErrorCode.REQUIRED, "ファイルが空です。", "file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(
            f"応募書類は5MB（{MAX_DOCUMENT_BYTES:,}バイト）以内のファイルにしてください。"
        )
    checked = await IMAGE_DECODING.run(check_file, data)
    name = clean_file_name(file_name, checked.file_format, kind)
    await _ensure_room(application.id, checked.content_hash)
    # The file first, synced: a row never commits without its file, even across a crash. An
    # upload refused below (a concurrent one took the last place) leaves only an unused file,
    # which cannot be removed safely: another upload of the same bytes may be about to use it.
    await anyio.to_thread.run_sync(
        documents.write, rt.settings.document_root, checked.content_hash, data
    )
    async with in_transaction():
        # Concurrent uploads to one application wait here, so the limit holds.
        await Application.select_for_update().get(id=application.id)
        await _ensure_room(application.id, checked.content_hash)
        return await ApplicationDocument.create(
            application_id=application.id,
            kind=kind,
            file_format=checked.file_format,
            file_name=name,
            size=len(data),
            content_hash=checked.content_hash,
            uploaded_by_id=user.id,
            uploaded_at=rt.clock.now(),
        )


# --- Who may have them ----------------------------------------------------------------------


def _is_own(user: User, document: ApplicationDocument) -> bool:
    """The seeker who sent the document."""
    return user.portal == Portal.SEEKER and document.uploaded_by_id == user.id


async def visible_documents(viewer: Viewer, ids: Iterable[int]) -> dict[int, ApplicationDocument]:
    """The documents among `ids` the viewer may see: those of applicants the viewer may read
    (`applicants.readable`), and a seeker's own."""
    user = viewer.user
    wanted = list(ids)
    if user is None or not wanted:
        return {}
    rows = await ApplicationDocument.filter(id__in=wanted)
    if user.portal == Portal.SEEKER:
        return {row.id: row for row in rows if _is_own(user, row)}
    readable = await applicants.readable(viewer, {row.application_id for row in rows})
    return {row.id: row for row in rows if row.application_id in readable}


async def documents_of_applications(
    application_ids: Iterable[int],
) -> dict[int, list[ApplicationDocument]]:
    """The documents of each application, oldest first; the caller has checked the viewer
    may see the applications."""
    found: dict[int, list[ApplicationDocument]] = {i: [] for i in application_ids}
    rows = ApplicationDocument.filter(application_id__in=list(found)).order_by("id")
    for row in await rows:
        found[row.application_id].append(row)
    return found


async def document_for_download(viewer: Viewer, document_id: int) -> DocumentDownload | None:
    """The document with its application if the viewer may have its bytes: the establishment
    of the posting, staff of its office, and the seeker who sent it; None for anyone else and
    for an id that names nothing, alike."""
    user = viewer.user
    if user is None:
        return None
    document = await ApplicationDocument.get_or_none(id=document_id).select_related(
        "application__establishment"
    )
    if document is None:
        return None
    application = document.application
    allowed = _is_own(user, document) or applicants.may_read(
        user, application, application.establishment.office_id
    )
    return DocumentDownload(document, application) if allowed else None


async def record_download(rt: Runtime, viewer: Viewer, download: DocumentDownload) -> None:
    """Record that an employer or staff read the document (a seeker reading their own is no
    read of another's personal data)."""
    user = viewer.user
    if user is None or user.portal == Portal.SEEKER:
        return
    document = download.document
    await applicants.record_reads(
        rt,
        user,
        [
            applicants.Read(
                kind=PersonalDataKind.DOCUMENT,
                establishment_id=download.application.establishment_id,
                application_id=document.application_id,
                document_id=document.id,
            )
        ],
    )
