"""Images (画像登録): types, inputs, payloads and root fields.

The upload follows the GraphQL multipart request spec: `operations`, `map`, then the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Self, TypeVar

import strawberry
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload

from app import media, models
from app.errors import ErrorCode, UserErrors, user_error
from app.models import establishments as enums
from app.resolvers import images
from app.schema.context import Info
from app.schema.errors import UserError, run_change, user_errors
from app.schema.establishments import Establishment, ReviewStatus
from app.schema.nodes import decode_id, visible_nodes
from app.schema.permissions import IsAuthenticated, IsEmployer, IsStaff

strawberry.enum(enums.ImageFormat, description="JPEG, PNG, GIF or BMP.")
ImageFormat = enums.ImageFormat


def _url(image: models.EstablishmentImage) -> str:
    return media.url_path(image.content_hash, image.format)


@strawberry.type(
    description=(
        "画像登録: a picture of the workplace or a product. Shown on postings, and served at "
        "`url`, only once staff approve it."
    )
)
class EstablishmentImage(relay.Node):
    id: relay.NodeID[int]
    url: str | None = strawberry.field(
        description="Path of the image on this service (/media/<sha256>.<ext>); null until "
        "approved."
    )
    caption: str
    position: int = strawberry.field(description="Display order, from 0.")
    status: ReviewStatus
    format: ImageFormat
    width: int
    height: int
    size_bytes: int = strawberry.field(description="Size of the stored (re-encoded) file.")
    uploaded_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_reason: str | None = strawberry.field(description="差戻しの理由, or a staff note.")
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

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: images.visible_images(viewer, ids), cls.from_model
        )


@strawberry.type(description="An approved image as postings show it.")
class PostingImage:
    url: str = strawberry.field(description="/media/<sha256>.<ext> on this service.")
    caption: str
    format: ImageFormat
    width: int
    height: int

    @classmethod
    def from_model(cls, image: models.EstablishmentImage) -> Self:
        return cls(
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


@strawberry.input(description="Send as a multipart request: operations, map, then the file.")
class EstablishmentImageUploadInput:
    file: Upload = strawberry.field(
        description="JPEG (.jpg, .jpeg), PNG, GIF or BMP, at most 2 MB (2,097,152 bytes); the "
        "name's extension must match the content."
    )
    caption: str | None = strawberry.field(default=None, description="Up to 100 characters.")


@strawberry.input
class ImageReviewInput:
    image_id: strawberry.ID
    approve: bool
    reason: str | None = strawberry.field(
        default=None, description="Required to reject (差戻し); up to 500 characters."
    )


@strawberry.input
class EstablishmentImageDeleteInput:
    image_id: strawberry.ID


@strawberry.input
class EstablishmentImageReorderInput:
    image_ids: list[strawberry.ID] = strawberry.field(
        description="Every image of the establishment, once each, in the new order."
    )


@strawberry.input
class EstablishmentImageCaptionUpdateInput:
    image_id: strawberry.ID
    caption: str = strawberry.field(
        description="Up to 100 characters; a new caption sends an approved image back to review."
    )


@strawberry.type
class EstablishmentImageUploadPayload:
    image: EstablishmentImage | None = strawberry.field(
        default=None, description="The new image, waiting for review."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ImageReviewPayload:
    image: EstablishmentImage | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EstablishmentImageDeletePayload:
    deleted_image_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EstablishmentImageReorderPayload:
    images: list[EstablishmentImage] | None = strawberry.field(
        default=None, description="Every image of the establishment, in the new order."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EstablishmentImageCaptionUpdatePayload:
    image: EstablishmentImage | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


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
        self, info: Info, establishment_id: strawberry.ID | None = None
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
        self, info: Info, input: EstablishmentImageUploadInput
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
    async def image_review(self, info: Info, input: ImageReviewInput) -> ImageReviewPayload:
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
        self, info: Info, input: EstablishmentImageDeleteInput
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
        self, info: Info, input: EstablishmentImageReorderInput
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
        self, info: Info, input: EstablishmentImageCaptionUpdateInput
    ) -> EstablishmentImageCaptionUpdatePayload:
        ctx = info.context
        return await _run(
            EstablishmentImageCaptionUpdatePayload,
            lambda: images.update_caption(
                ctx.rt, ctx.viewer, _image_id(input.image_id), input.caption
            ),
        )
