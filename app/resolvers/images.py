"""Images (画像登録): upload, staff review, delete, reorder and caption.

An upload is checked in this order: the name's extension (JPEG, PNG, GIF or BMP), the size
(at most 2 MB, read no further than one byte past it), then the bytes, which must decode with
Pillow as the format the name says. What is stored is Pillow's re-encoding of the pixels, in
the same format, without metadata (EXIF, ICC profile, comments, text chunks); an animated GIF
keeps its first frame. The file is named by the SHA-256 of those bytes (see `app.media`).

An establishment has at most 10 images waiting for review or approved; rejected ones do not
count, and the employer may delete them. Staff of the establishment's office review each
image; only approved ones are served and shown on postings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Protocol

import anyio
from PIL import Image, ImageOps
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import media
from app.errors import ErrorCode, Forbidden, NotAuthenticated, UserErrors, user_error
from app.models import AuditAction, Establishment, EstablishmentImage, Event
from app.models.establishments import ImageFormat, ReviewStatus
from app.models.events import QueueChange
from app.resolvers import audit, events, queue_events, validation
from app.resolvers.review import ReviewKind
from app.runtime import Runtime
from app.threads import CORES, ThreadLimit
from app.viewer import Viewer

MAX_IMAGES_PER_ESTABLISHMENT = 10
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Decoding takes width × height × 4 bytes of memory: a small file may claim a huge picture.
MAX_IMAGE_PIXELS = 16_000_000

# Decoding and re-encoding an image holds a core for up to a second: a burst of uploads
# queues for these threads instead of taking every core from the event loop.
IMAGE_DECODING = ThreadLimit(max(1, CORES - 1))

CAPTION_MAX_LENGTH = 100
REASON_MAX_LENGTH = 500
# Input lists are bounded; the establishment's images are far fewer.
MAX_REORDER_IDS = 100

COUNTED_STATUSES = (ReviewStatus.PENDING, ReviewStatus.APPROVED)
FORMATS_BY_EXTENSION = {
    "jpg": ImageFormat.JPEG,
    "jpeg": ImageFormat.JPEG,
    "png": ImageFormat.PNG,
    "gif": ImageFormat.GIF,
    "bmp": ImageFormat.BMP,
}
_EXIF_ORIENTATION = 0x0112
# Pillow's `info` keys that are part of the picture rather than metadata about it.
_PICTURE_INFO = ("transparency",)


class UploadedFile(Protocol):
    """What the upload arrives as (Starlette's `UploadFile`)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded without metadata, ready to store."""

    data: bytes
    format: ImageFormat
    width: int
    height: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# --- Checking and re-encoding ---------------------------------------------------------------


def claimed_format(filename: str | None) -> ImageFormat:
    """The format the file's name says, by its extension."""
    _, dot, extension = (filename or "").rpartition(".")
    image_format = FORMATS_BY_EXTENSION.get(extension.lower()) if dot else None
    if image_format is None:
        raise user_error(
            ErrorCode.UNSUPPORTED_FILE_TYPE,
            "登録できる画像はJPEG（.jpg）、PNG（.png）、GIF（.gif）、BMP（.bmp）のみです。",
            "file",
        )
    return image_format


def _not_an_image() -> Exception:
    return user_error(
        ErrorCode.IMAGE_INVALID,
        "画像ファイルとして読み込めません。ファイルが壊れていないか確認してください。",
        "file",
    )


def _too_large(message: str) -> Exception:
    return user_error(ErrorCode.FILE_TOO_LARGE, message, "file")


def clean_image(data: bytes, claimed: ImageFormat) -> CleanImage:
    """Decode `data` as the `claimed` format and re-encode it without metadata.

    CPU-bound: call it off the event loop.
    """
    allowed = [image_format.value for image_format in ImageFormat]
    try:
        with Image.open(io.BytesIO(data), formats=allowed) as probe:
            detected = ImageFormat(probe.format or "")
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise _too_large(f"画像の画素数が大きすぎます（{MAX_IMAGE_PIXELS:,}画素以内）。")
            probe.verify()
        if detected is not claimed:
            raise user_error(
                ErrorCode.IMAGE_FORMAT_MISMATCH,
                f"ファイルの内容（{detected.value}）が拡張子（{claimed.value}）と一致しません。",
                "file",
            )
        # `verify` leaves the image unusable; decode it again, whole.
        with Image.open(io.BytesIO(data), formats=[detected.value]) as image:
            image.load()
            encoded = _reencode(image, detected)
    except (UserErrors, MemoryError):
        raise  # its own refusals, untouched
    except Exception as exc:  # Pillow raises many kinds for damaged or hostile input
        raise _not_an_image() from exc
    return encoded


def _reencode(image: Image.Image, image_format: ImageFormat) -> CleanImage:
    orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    options: dict[str, object] = {}
    if orientation not in (1, None):
        # Stripping EXIF drops the orientation too: turn the pixels as it said.
        picture = ImageOps.exif_transpose(image)
        if image_format is ImageFormat.JPEG:
            options = {"quality": 90}
    else:
        picture = image
        if image_format is ImageFormat.JPEG:
            # The original quantization and subsampling: no further loss of quality.
            options = {"quality": "keep", "subsampling": "keep"}
    picture.info = {key: picture.info[key] for key in _PICTURE_INFO if key in picture.info}
    out = io.BytesIO()
    picture.save(out, format=image_format.value, **options)
    return CleanImage(
        data=out.getvalue(), format=image_format, width=picture.width, height=picture.height
    )


# --- Access -------------------------------------------------------------------------------


def _not_found() -> Exception:
    return user_error(ErrorCode.NOT_FOUND, "画像が見つかりません。", "image_id")


async def _own_image(viewer: Viewer, image_id: int) -> EstablishmentImage:
    """An image of the employer's establishment; any other looks like one that is not there."""
    user = viewer.require_employer()
    image = await EstablishmentImage.get_or_none(
        id=image_id, establishment_id=user.establishment_id
    )
    if image is None:
        raise _not_found()
    return image


async def _office_image(viewer: Viewer, image_id: int) -> EstablishmentImage:
    """An image of an establishment under the staff member's own office."""
    staff = viewer.require_staff()
    image = await EstablishmentImage.get_or_none(id=image_id).select_related("establishment")
    # Another office's image is answered as one that is not there: no oracle of its IDs.
    if image is None or image.establishment.office_id != staff.office_id:
        raise _not_found()
    return image


async def _counted_images(establishment_id: int) -> int:
    return await EstablishmentImage.filter(
        establishment_id=establishment_id, status__in=COUNTED_STATUSES
    ).count()


def _limit_reached() -> Exception:
    return user_error(
        ErrorCode.IMAGE_LIMIT_REACHED,
        f"画像は1事業所あたり{MAX_IMAGES_PER_ESTABLISHMENT}件まで登録できます"
        "（審査待ち・承認済みの画像）。不要な画像を削除してから登録してください。",
        "file",
    )


def _caption(value: str | None) -> str:
    caption = (value or "").strip()
    if len(caption) > CAPTION_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG,
            f"画像の説明は{CAPTION_MAX_LENGTH}文字以内で入力してください。",
            "caption",
        )
    return caption


async def _queue_event(
    office_id: int, image: EstablishmentImage, change: QueueChange, now: dt.datetime
) -> Event:
    """The office's review queue gains or loses the image (in the transaction of the change)."""
    return await queue_events.record(
        office_id=office_id,
        kind=ReviewKind.IMAGE,
        item_id=image.id,
        change=change,
        now=now,
        establishment_id=image.establishment_id,
    )


# --- Employer use cases -------------------------------------------------------------------


async def upload_image(
    rt: Runtime, viewer: Viewer, *, file: UploadedFile, caption: str | None
) -> EstablishmentImage:
    """画像登録: check, re-encode and store an image; it waits for staff review."""
    user = viewer.require_employer()
    assert user.establishment_id is not None
    establishment_id = user.establishment_id
    form = validation.Form()
    caption = form.check(lambda: _caption(caption))
    claimed = form.check(lambda: claimed_format(file.filename))
    form.done()
    # Refuse the 11th before spending any work on its bytes.
    if await _counted_images(establishment_id) >= MAX_IMAGES_PER_ESTABLISHMENT:
        raise _limit_reached()
    data = await file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large("画像ファイルは2MB（2,097,152バイト）以内にしてください。")
    clean = await IMAGE_DECODING.run(clean_image, data, claimed)
    if len(clean.data) > MAX_IMAGE_BYTES:
        raise _too_large("画像を保存形式に変換すると2MBを超えます。画像を小さくしてください。")
    content_hash = clean.content_hash
    name = media.file_name(content_hash, clean.format)
    # The file first: a crash between the two leaves an unused file, never a row without one.
    await anyio.to_thread.run_sync(media.write, rt.settings.media_root, name, clean.data)
    now = rt.clock.now()
    async with in_transaction():
        # Concurrent uploads of one establishment wait here, so the limit holds.
        establishment = await Establishment.select_for_update().get(id=establishment_id)
        if await _counted_images(establishment_id) >= MAX_IMAGES_PER_ESTABLISHMENT:
            raise _limit_reached()
        if await EstablishmentImage.exists(
            establishment_id=establishment_id,
            content_hash=content_hash,
            status__in=COUNTED_STATUSES,
        ):
            raise user_error(ErrorCode.ALREADY_EXISTS, "同じ画像がすでに登録されています。", "file")
        position = await EstablishmentImage.filter(establishment_id=establishment_id).count()
        image = await EstablishmentImage.create(
            establishment_id=establishment_id,
            content_hash=content_hash,
            format=clean.format,
            width=clean.width,
            height=clean.height,
            size_bytes=len(clean.data),
            caption=caption,
            position=position,
            uploaded_by_id=user.id,
            uploaded_at=now,
        )
        added = await _queue_event(establishment.office_id, image, QueueChange.ADDED, now)
    await events.publish(rt, added)
    return image


async def delete_image(rt: Runtime, viewer: Viewer, image_id: int) -> EstablishmentImage:
    """Delete an image of any status; the ones after it move up one place. One waiting for
    review leaves the office's queue."""
    image = await _own_image(viewer, image_id)
    removed = None
    async with in_transaction():
        establishment = await Establishment.select_for_update().get(id=image.establishment_id)
        # Read again under the lock: a review may have decided it meanwhile.
        current = await EstablishmentImage.get_or_none(id=image.id)
        if current is None:
            raise _not_found()
        await EstablishmentImage.filter(id=image.id).delete()
        await EstablishmentImage.filter(
            establishment_id=image.establishment_id, position__gt=current.position
        ).update(position=F("position") - 1)
        if current.status is ReviewStatus.PENDING:
            now = rt.clock.now()
            removed = await _queue_event(establishment.office_id, image, QueueChange.REMOVED, now)
    if removed is not None:
        await events.publish(rt, removed)
    if not await EstablishmentImage.exists(content_hash=image.content_hash, format=image.format):
        await anyio.to_thread.run_sync(
            media.remove, rt.settings.media_root, media.file_name(image.content_hash, image.format)
        )
    return image


def reorder_mismatch() -> UserErrors:
    return user_error(
        ErrorCode.MISMATCH,
        "並べ替えには事業所のすべての画像を一度ずつ指定してください。",
        "image_ids",
    )


async def reorder_images(
    rt: Runtime, viewer: Viewer, image_ids: list[int]
) -> list[EstablishmentImage]:
    """Put the establishment's images in the given order (positions 0, 1, …).

    `image_ids` names every image of the establishment once, whatever its status.
    """
    user = viewer.require_employer()
    establishment_id = user.establishment_id
    mismatch = reorder_mismatch()
    if len(image_ids) > MAX_REORDER_IDS or len(set(image_ids)) != len(image_ids):
        raise mismatch
    async with in_transaction():
        await Establishment.select_for_update().get(id=establishment_id)
        current = await EstablishmentImage.filter(establishment_id=establishment_id)
        if {image.id for image in current} != set(image_ids):
            raise mismatch
        for position, image_id in enumerate(image_ids):
            await EstablishmentImage.filter(id=image_id).update(position=position)
    return await EstablishmentImage.filter(establishment_id=establishment_id).order_by(
        "position", "id"
    )


async def update_caption(
    rt: Runtime, viewer: Viewer, image_id: int, caption: str
) -> EstablishmentImage:
    """Change the caption. An approved image with a new caption waits for review again,
    since the caption is shown with it."""
    form = validation.Form()
    new_caption = form.check(lambda: _caption(caption))
    form.done()
    image = await _own_image(viewer, image_id)
    if new_caption == image.caption:
        return image
    changes: dict[str, object] = {"caption": new_caption}
    again = image.status is ReviewStatus.APPROVED
    if again:
        changes.update(
            status=ReviewStatus.PENDING, reviewed_by_id=None, reviewed_at=None, review_reason=""
        )
    added = None
    async with in_transaction():
        updated = await EstablishmentImage.filter(id=image.id, status=image.status).update(
            **changes
        )
        if not updated:
            raise user_error(
                ErrorCode.INVALID_STATE,
                "画像が同時に変更されました。もう一度お試しください。",
                "image_id",
            )
        if again:
            establishment = await Establishment.get(id=image.establishment_id)
            now = rt.clock.now()
            added = await _queue_event(establishment.office_id, image, QueueChange.ADDED, now)
    if added is not None:
        await events.publish(rt, added)
    return await EstablishmentImage.get(id=image.id)


# --- Staff use cases ----------------------------------------------------------------------


async def review_image(
    rt: Runtime, viewer: Viewer, image_id: int, *, approve: bool, reason: str | None
) -> EstablishmentImage:
    """Approve or reject (with a reason) an image waiting for review."""
    image = await _office_image(viewer, image_id)
    assert viewer.user is not None
    reason = (reason or "").strip()
    if not approve and not reason:
        raise user_error(ErrorCode.REQUIRED, "差戻しの理由を入力してください。", "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG, f"理由は{REASON_MAX_LENGTH}文字以内で入力してください。", "reason"
        )
    now = rt.clock.now()
    async with in_transaction():
        reviewed = await EstablishmentImage.filter(id=image.id, status=ReviewStatus.PENDING).update(
            status=ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED,
            reviewed_by_id=viewer.user.id,
            reviewed_at=now,
            review_reason=reason,
        )
        if not reviewed:
            raise user_error(
                ErrorCode.INVALID_STATE, "この画像は審査待ちではありません。", "image_id"
            )
        await audit.record(
            rt,
            AuditAction.IMAGE_REVIEWED,
            actor=viewer.user,
            establishment_id=image.establishment_id,
            image=image.id,
            approved=approve,
        )
        taken = await _queue_event(image.establishment.office_id, image, QueueChange.TAKEN, now)
    await events.publish(rt, taken)
    return await EstablishmentImage.get(id=image.id)


# --- Queries ------------------------------------------------------------------------------


async def establishment_images(
    viewer: Viewer, establishment_id: int | None = None
) -> list[EstablishmentImage]:
    """Every image of one establishment, in display order, whatever its status.

    Employers see their own establishment's (another one is forbidden); staff name an
    establishment of their office.
    """
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    if user.establishment_id is not None:
        if establishment_id not in (None, user.establishment_id):
            raise Forbidden
        establishment_id = user.establishment_id
    else:
        staff = viewer.require_staff()
        if establishment_id is None:
            raise user_error(ErrorCode.REQUIRED, "事業所を指定してください。", "establishment_id")
        establishment = await Establishment.get_or_none(id=establishment_id)
        if establishment is None:
            raise user_error(ErrorCode.NOT_FOUND, "事業所が見つかりません。", "establishment_id")
        if establishment.office_id != staff.office_id:
            raise Forbidden
    return await EstablishmentImage.filter(establishment_id=establishment_id).order_by(
        "position", "id"
    )


async def visible_images(viewer: Viewer, ids: list[int]) -> dict[int, EstablishmentImage]:
    """The images among `ids` the viewer may see: its establishment's, or its office's."""
    query = viewer.scope(
        EstablishmentImage.filter(id__in=ids),
        establishment="establishment_id",
        office="establishment__office_id",
    )
    if query is None:
        return {}
    return {image.id: image for image in await query}


async def approved_images(establishment_ids: list[int]) -> dict[int, list[EstablishmentImage]]:
    """The approved images of each establishment, in display order: what postings show."""
    found: dict[int, list[EstablishmentImage]] = {i: [] for i in establishment_ids}
    rows = EstablishmentImage.filter(
        establishment_id__in=establishment_ids, status=ReviewStatus.APPROVED
    ).order_by("position", "id")
    for image in await rows:
        found[image.establishment_id].append(image)
    return found
