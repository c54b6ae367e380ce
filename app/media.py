"""Stored images under MEDIA_ROOT, named by content hash, and the route that serves them.

A file is named `<sha256>.<ext>` after its bytes, so writing it twice is harmless and its
content never changes under its name. Only approved images are served.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from app import durable_files
from app.models import EstablishmentImage
from app.models.establishments import ImageFormat, ReviewStatus

EXTENSIONS = {
    ImageFormat.JPEG: "jpg",
    ImageFormat.PNG: "png",
    ImageFormat.GIF: "gif",
    ImageFormat.BMP: "bmp",
}
CONTENT_TYPES = {
    ImageFormat.JPEG: "image/jpeg",
    ImageFormat.PNG: "image/png",
    ImageFormat.GIF: "image/gif",
    ImageFormat.BMP: "image/bmp",
}
# The name can never point at other content, so caches may keep it for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"

_NAME = re.compile(r"^([0-9a-f]{64})\.(jpg|png|gif|bmp)$")
_FORMATS = {extension: image_format for image_format, extension in EXTENSIONS.items()}


def file_name(content_hash: str, image_format: ImageFormat) -> str:
    return f"{content_hash}.{EXTENSIONS[image_format]}"


def url_path(content_hash: str, image_format: ImageFormat) -> str:
    return f"/media/{file_name(content_hash, image_format)}"


def parse_name(name: str) -> tuple[str, ImageFormat] | None:
    """The content hash and format a `/media/…` name stands for; None for any other name."""
    match = _NAME.match(name)
    if match is None:
        return None
    return match.group(1), _FORMATS[match.group(2)]


def write(root: Path, name: str, data: bytes) -> None:
    """Write the file whole or not at all (`durable_files.write`); it is served, so readable."""
    durable_files.write(root, name, data, file_mode=0o644, folder_mode=0o755)


def remove(root: Path, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (root / name).unlink()


async def serve(request: Request) -> Response:
    """GET /media/<sha256>.<ext>: the image if staff approved it, else 404."""
    not_found = PlainTextResponse("Not Found", status_code=404)
    parsed = parse_name(request.path_params["name"])
    if parsed is None:
        return not_found
    content_hash, image_format = parsed
    approved = await EstablishmentImage.exists(
        content_hash=content_hash, format=image_format, status=ReviewStatus.APPROVED
    )
    path = request.app.state.runtime.settings.media_root / file_name(content_hash, image_format)
    if not approved or not await anyio.Path(path).is_file():
        return not_found
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[image_format],
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )
