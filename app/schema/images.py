"""Images (画像登録): types, inputs, payloads and root fields.

The upload follows the GraphQL multipart request spec: `operations`, `map`, then the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Self, TypeVar

import strawberry
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload

import app.schema.describe as describe
from app import media, models
from app.errors import ErrorCode, UserErrors, user_error
from app.models import establishments as enums
from app.resolvers import images
from app.schema.context import Info
from app.schema.errors import UserError, run_change, user_errors
from app.schema.establishments import Establishment, ReviewStatus
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.permissions import IsAuthenticated, IsEmployer, IsStaff

describe.enum(enums.ImageFormat, description="画像形式 (image format): JPEG, PNG, GIF or BMP.")
ImageFormat = enums.ImageFormat


def _url(image: models.EstablishmentImage) -> str:
    return media.url_path(image.content_hash, image.format)


@strawberry.type(
    description=(
        "画像登録 (establishment image): a picture of the workplace or a product. Shown on "
        "postings, and served at `url`, only once staff approve it. Readable by `node` for the "
        "establishment's logins and staff of its office."
    )
)
class EstablishmentImage(relay.Node):
    id: relay.NodeID[int]
    url: str | None = strawberry.field(
        description="Path of the image on this service (/media/<sha256>.<ext>); null until "
        "approved."
    )
    caption: str = strawberry.field(description="画像の説明 (caption); empty when none.")
    position: int = strawberry.field(description="表示順 (display order), from 0.")
    status: ReviewStatus = strawberry.field(description="審査状況 (review status).")
    format: ImageFormat = strawberry.field(description="画像形式 (format) of the stored file.")
    width: int = strawberry.field(description="幅 (width) in pixels.")
    height: int = strawberry.field(description="高さ (height) in pixels.")
    size_bytes: int = strawberry.field(description="Size of the stored (re-encoded) file.")
    uploaded_at: dt.datetime = strawberry.field(description="登録日時 (uploaded at).")
    reviewed_at: dt.datetime | None = strawberry.field(
        description="審査日時 (reviewed at); null while it waits for review."
    )
    review_reason: str | None = strawberry.field(
        description="差戻しの理由 (reason of a rejection), or a staff note; null when none."
    )
    establishment_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, image: models.EstablishmentImage) -> Self:
        return cls(
            id=image.id,
            url=_url(image) if image.status is enums.ReviewStatus.APPROVED else None,
            caption=image.caption,
            position=image.position,
            status=image.status,
            format=image.format,
            width=image.width,
            height=image.height,
            size_bytes=image.size_bytes,
            uploaded_at=image.uploaded_at,
            reviewed_at=image.reviewed_at,
            review_reason=image.review_reason or None,
            establishment_id=image.establishment_id,
        )

    @strawberry.field(description="The establishment (事業所) the image belongs to.")
    async def establishment(self, info: Info) -> Establishment:
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    resolve_nodes = visible_to_viewer(images.visible_images)


@strawberry.type(description="求人の画像 (posting image): an approved image as postings show it.")
class PostingImage:
    id: strawberry.ID = strawberry.field(
        description="Global ID of the image as postings show it (opaque), a key for caches; "
        "not a `node`."
    )
    url: str = strawberry.field(description="/media/<sha256>.<ext> on this service.")
    caption: str = strawberry.field(description="画像の説明 (caption); empty when none.")
    format: ImageFormat = strawberry.field(description="画像形式 (format).")
    width: int = strawberry.field(description="幅 (width) in pixels.")
    height: int = strawberry.field(description="高さ (height) in pixels.")

    @classmethod
    def from_model(cls, image: models.EstablishmentImage) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64("PostingImage", image.id)),
            url=_url(image),
            caption=image.caption,
            format=image.format,
            width=image.width,
            height=image.height,
        )


async def posting_images(info: Info, establishment_id: int) -> list[PostingImage]:
    """The approved images of an establishment, in display order (for the posting types)."""
    found = await info.context.loaders.approved_images_by_establishment_id.load(establishment_id)
    return [PostingImage.from_model(image) for image in found]


# --- Inputs and payloads ------------------------------------------------------------------


@strawberry.input(
    description=(
        "画像登録 (upload): send as a multipart request, operations, map, then the file; at "
        "most 10 images per establishment waiting for review or approved."
    )
)
class EstablishmentImageUploadInput:
    file: Upload = strawberry.field(
        description="JPEG (.jpg, .jpeg), PNG, GIF or BMP, at most 2 MB (2,097,152 bytes) and "
        "16,000,000 pixels; the name's extension must match the content."
    )
    caption: str | None = strawberry.field(
        default=None, description="画像の説明 (caption): up to 100 characters; null for none."
    )


@strawberry.input(description="画像の審査 (review): approve an image waiting, or reject it.")
class ImageReviewInput:
    image_id: strawberry.ID = strawberry.field(
        description="An image (`EstablishmentImage.id`) of the office waiting for review."
    )
    approve: bool = strawberry.field(
        description="承認 (approve) when true, 差戻し (reject) when false."
    )
    reason: str | None = strawberry.field(
        default=None,
        description="理由 (reason): required to reject (差戻し); up to 500 characters.",
    )


@strawberry.input(description="画像の削除 (delete) of any status.")
class EstablishmentImageDeleteInput:
    image_id: strawberry.ID = strawberry.field(
        description="An image (`EstablishmentImage.id`) of the establishment."
    )


@strawberry.input(description="画像の並べ替え (reorder).")
class EstablishmentImageReorderInput:
    image_ids: list[strawberry.ID] = strawberry.field(
        description="Every image of the establishment, once each, in the new order (else MISMATCH)."
    )


@strawberry.input(description="画像の説明の変更 (caption update).")
class EstablishmentImageCaptionUpdateInput:
    image_id: strawberry.ID = strawberry.field(
        description="An image (`EstablishmentImage.id`) of the establishment."
    )
    caption: str = strawberry.field(
        description="画像の説明 (caption): up to 100 characters, or empty; a new caption sends "
        "an approved image back to review; the same one changes nothing."
    )


@strawberry.type(description="The answer of `establishmentImageUpload`.")
class EstablishmentImageUploadPayload:
    image: EstablishmentImage | None = strawberry.field(
        default=None, description="The new image, waiting for review."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was registered; empty when it was."
    )


@strawberry.type(description="The answer of `imageReview`.")
class ImageReviewPayload:
    image: EstablishmentImage | None = strawberry.field(
        default=None, description="The image, approved or rejected."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was decided; empty when it was."
    )


@strawberry.type(description="The answer of `establishmentImageDelete`.")
class EstablishmentImageDeletePayload:
    deleted_image_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global ID of the image deleted."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted; empty when it was."
    )


@strawberry.type(description="The answer of `establishmentImageReorder`.")
class EstablishmentImageReorderPayload:
    images: list[EstablishmentImage] | None = strawberry.field(
        default=None, description="Every image of the establishment, in the new order."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was reordered; empty when done."
    )


@strawberry.type(description="The answer of `establishmentImageCaptionUpdate`.")
class EstablishmentImageCaptionUpdatePayload:
    image: EstablishmentImage | None = strawberry.field(
        default=None, description="The image with its new caption."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was changed; empty when it was."
    )


P = TypeVar("P")


async def _run(
    payload: Callable[..., P], change: Callable[[], Awaitable[models.EstablishmentImage]]
) -> P:
    return await run_change(payload, change, "image", EstablishmentImage.from_model)


def _image_id(value: strawberry.ID, field: str = "imageId") -> int:
    return decode_id(value, "EstablishmentImage", field)


@strawberry.type
class ImageQuery:
    @strawberry.field(
        description=(
            "Every image of an establishment in display order, whatever its status. Employers: "
            "their own (leave `establishmentId` out); staff: an establishment of their office."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def establishment_images(
        self,
        info: Info,
        establishment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Staff: an establishment (`Establishment.id`) of their office; "
                "employers leave it out."
            ),
        ] = None,
    ) -> list[EstablishmentImage]:
        ctx = info.context
        try:
            decoded = (
                decode_id(establishment_id, "Establishment", "establishmentId")
                if establishment_id is not None
                else None
            )
            found = await images.establishment_images(ctx.viewer, decoded)
        except UserErrors as exc:
            # A query has no payload for errors: they come as one top-level error.
            message = " ".join(error.message for error in exc.errors)
            raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}) from exc
        return [EstablishmentImage.from_model(image) for image in found]


@strawberry.type
class ImageMutation:
    @strawberry.mutation(
        description="Employer: register an image (画像登録); it waits for staff review.",
        permission_classes=[IsEmployer],
    )
    async def establishment_image_upload(
        self,
        info: Info,
        input: Annotated[
            EstablishmentImageUploadInput, strawberry.argument(description="The image.")
        ],
    ) -> EstablishmentImageUploadPayload:
        ctx = info.context
        file = input.file
        if not isinstance(file, UploadFile):
            # Sent as a plain value rather than as a file of the multipart request.
            error = user_error(ErrorCode.REQUIRED, "画像ファイルを添付してください。", "file")
            return EstablishmentImageUploadPayload(errors=user_errors(error))
        return await _run(
            EstablishmentImageUploadPayload,
            lambda: images.upload_image(ctx.rt, ctx.viewer, file=file, caption=input.caption),
        )

    @strawberry.mutation(
        description="Staff: approve an image, or reject it with a reason.",
        permission_classes=[IsStaff],
    )
    async def image_review(
        self,
        info: Info,
        input: Annotated[ImageReviewInput, strawberry.argument(description="The decision.")],
    ) -> ImageReviewPayload:
        ctx = info.context
        return await _run(
            ImageReviewPayload,
            lambda: images.review_image(
                ctx.rt,
                ctx.viewer,
                _image_id(input.image_id),
                approve=input.approve,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="Employer: delete an image, whatever its status.",
        permission_classes=[IsEmployer],
    )
    async def establishment_image_delete(
        self,
        info: Info,
        input: Annotated[
            EstablishmentImageDeleteInput, strawberry.argument(description="The image to delete.")
        ],
    ) -> EstablishmentImageDeletePayload:
        ctx = info.context
        try:
            await images.delete_image(ctx.rt, ctx.viewer, _image_id(input.image_id))
        except UserErrors as exc:
            return EstablishmentImageDeletePayload(errors=user_errors(exc))
        return EstablishmentImageDeletePayload(deleted_image_id=input.image_id)

    @strawberry.mutation(
        description="Employer: put the establishment's images in a new order.",
        permission_classes=[IsEmployer],
    )
    async def establishment_image_reorder(
        self,
        info: Info,
        input: Annotated[
            EstablishmentImageReorderInput, strawberry.argument(description="The new order.")
        ],
    ) -> EstablishmentImageReorderPayload:
        ctx = info.context
        try:
            if len(input.image_ids) > images.MAX_REORDER_IDS:
                raise images.reorder_mismatch()  # before decoding a long list
            ids = [_image_id(image_id, "imageIds") for image_id in input.image_ids]
            reordered = await images.reorder_images(ctx.rt, ctx.viewer, ids)
        except UserErrors as exc:
            return EstablishmentImageReorderPayload(errors=user_errors(exc))
        return EstablishmentImageReorderPayload(
            images=[EstablishmentImage.from_model(image) for image in reordered]
        )

    @strawberry.mutation(
        description="Employer: change an image's caption.", permission_classes=[IsEmployer]
    )
    async def establishment_image_caption_update(
        self,
        info: Info,
        input: Annotated[
            EstablishmentImageCaptionUpdateInput,
            strawberry.argument(description="The new caption."),
        ],
    ) -> EstablishmentImageCaptionUpdatePayload:
        ctx = info.context
        return await _run(
            EstablishmentImageCaptionUpdatePayload,
            lambda: images.update_caption(
                ctx.rt, ctx.viewer, _image_id(input.image_id), input.caption
            ),
        )
