"""Images (画像登録) over real HTTP: multipart uploads, checks, review, serving and ordering."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image

from app.resolvers.images import MAX_IMAGE_BYTES
from app.settings import Settings
from tests import flows
from tests.conftest import Counter, GraphQLClient, Server, new_staff

IMAGE_FIELDS = """id url caption position status format width height sizeBytes uploadedAt
  reviewedAt reviewReason"""

UPLOAD = f"""mutation ($input: EstablishmentImageUploadInput!) {{
  establishmentImageUpload(input: $input) {{
    image {{ {IMAGE_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

REVIEW = f"""mutation ($input: ImageReviewInput!) {{
  imageReview(input: $input) {{ image {{ {IMAGE_FIELDS} }} errors {{ field code message }} }}
}}"""

DELETE = """mutation ($input: EstablishmentImageDeleteInput!) {
  establishmentImageDelete(input: $input) { deletedImageId errors { field code message } }
}"""

REORDER = f"""mutation ($input: EstablishmentImageReorderInput!) {{
  establishmentImageReorder(input: $input) {{
    images {{ {IMAGE_FIELDS} }} errors {{ field code message }}
  }}
}}"""

CAPTION = f"""mutation ($input: EstablishmentImageCaptionUpdateInput!) {{
  establishmentImageCaptionUpdate(input: $input) {{
    image {{ {IMAGE_FIELDS} }} errors {{ field code message }}
  }}
}}"""

IMAGES = f"""query ($establishmentId: ID) {{
  establishmentImages(establishmentId: $establishmentId) {{ {IMAGE_FIELDS} }}
}}"""

NODE = """query ($id: ID!) { node(id: $id) { ... on EstablishmentImage { id caption } } }"""


# --- Test images, made with Pillow ------------------------------------------------------------


def image_bytes(
    image_format: str, color: tuple[int, int, int] = (30, 60, 90), **save: Any
) -> bytes:
    mode = "P" if image_format == "GIF" else "RGB"
    picture = Image.new(mode, (16, 8), color if mode == "RGB" else 7)
    out = io.BytesIO()
    picture.save(out, image_format, **save)
    return out.getvalue()


def png(index: int = 0) -> bytes:
    """A small PNG; a different `index` gives different bytes (and a different hash)."""
    return image_bytes("PNG", (index * 20 % 256, 100, 200))


def png_of_size(total: int) -> bytes:
    """A valid PNG of exactly `total` bytes: padded with a private ancillary chunk that
    decoders skip (type `paDd`: length, type, data and CRC, before IEND)."""
    base = png()
    length = total - len(base) - 12
    data = b"\0" * length
    chunk = (
        struct.pack(">I", length) + b"paDd" + data + struct.pack(">I", zlib.crc32(b"paDd" + data))
    )
    padded = base[:-12] + chunk + base[-12:]
    assert len(padded) == total
    return padded


def jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8298] = "Copyright Secret"  # Copyright
    return image_bytes("JPEG", exif=exif, comment=b"hidden comment", icc_profile=b"ICCDATA" * 8)


# --- Clients ----------------------------------------------------------------------------------


@pytest.fixture
async def other_staff(server: Server, new_client) -> GraphQLClient:
    return await new_staff(server, new_client(), office_code="13020")


async def post_upload(
    client: GraphQLClient,
    content: bytes,
    filename: str,
    caption: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The GraphQL multipart request: `operations`, `map`, then the file as field `0`."""
    operations = {"query": UPLOAD, "variables": {"input": {"file": None, "caption": caption}}}
    if headers is None:
        headers = {"Authorization": f"Bearer {client.token}"}
    return await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (filename, content, "application/octet-stream")},
        headers=headers,
    )


async def upload(
    client: GraphQLClient, content: bytes, filename: str, caption: str | None = None
) -> dict[str, Any]:
    response = await post_upload(client, content, filename, caption)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["establishmentImageUpload"]
    return payload


async def uploaded(client: GraphQLClient, content: bytes, filename: str, **kw: Any) -> dict:
    payload = await upload(client, content, filename, **kw)
    assert payload["errors"] == [], payload
    return payload["image"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def review(staff: GraphQLClient, image_id: str, approve: bool, reason: str | None = None):
    data = await staff.execute(
        REVIEW, {"input": {"imageId": image_id, "approve": approve, "reason": reason}}
    )
    return data["imageReview"]


async def approved(staff: GraphQLClient, image_id: str) -> dict[str, Any]:
    payload = await review(staff, image_id, True)
    assert payload["errors"] == [], payload
    return payload["image"]


# --- Uploads: formats, sizes, contents --------------------------------------------------------


async def test_a_png_is_stored_pending_under_its_hash(server: Server, employer: GraphQLClient):
    image = await uploaded(employer, png(), "shop.png", caption="店舗外観")
    assert image["status"] == "PENDING"
    assert image["url"] is None
    assert (image["format"], image["width"], image["height"]) == ("PNG", 16, 8)
    assert image["caption"] == "店舗外観"
    assert image["position"] == 0
    files = {path.name: path.read_bytes() for path in server.settings.media_root.glob("*.png")}
    # Named by the SHA-256 of the stored (re-encoded) bytes, which is what sizeBytes counts.
    matching = [
        name
        for name, data in files.items()
        if name == hashlib.sha256(data).hexdigest() + ".png" and len(data) == image["sizeBytes"]
    ]
    assert matching
    assert not list(server.settings.media_root.glob(".upload-*")), "temporary file left"


async def test_gif_bmp_and_jpeg_are_accepted(employer: GraphQLClient):
    for filename, content, image_format in [
        ("logo.gif", image_bytes("GIF"), "GIF"),
        ("floor.bmp", image_bytes("BMP"), "BMP"),
        ("staff.jpeg", image_bytes("JPEG"), "JPEG"),
        ("UPPER.JPG", image_bytes("JPEG", (1, 2, 3)), "JPEG"),
    ]:
        image = await uploaded(employer, content, filename)
        assert image["format"] == image_format, filename


async def test_two_megabytes_exactly_is_accepted_and_one_byte_more_is_refused(
    employer: GraphQLClient,
):
    assert MAX_IMAGE_BYTES == 2 * 1024 * 1024
    image = await uploaded(employer, png_of_size(MAX_IMAGE_BYTES), "exact.png")
    assert image["sizeBytes"] < 1000, "the padding chunk is not kept"
    payload = await upload(employer, png_of_size(MAX_IMAGE_BYTES + 1), "over.png")
    assert payload["image"] is None
    assert payload["errors"][0]["code"] == "FILE_TOO_LARGE"
    assert payload["errors"][0]["field"] == "file"


async def test_a_far_larger_body_is_refused_before_it_is_read(employer: GraphQLClient):
    response = await post_upload(employer, b"\0" * (6 * 1024 * 1024), "huge.png")
    assert response.status_code == 413


async def test_a_png_named_jpg_is_refused(employer: GraphQLClient):
    payload = await upload(employer, png(), "photo.jpg")
    assert codes(payload) == ["IMAGE_FORMAT_MISMATCH"]
    assert payload["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (png()[:60], "truncated.png"),
        (image_bytes("JPEG")[:200], "truncated.jpg"),
        ("求人票の下書きです。\n".encode(), "notes.png"),
        (b"", "empty.gif"),
    ],
)
async def test_what_does_not_decode_is_refused(
    employer: GraphQLClient, content: bytes, filename: str
):
    payload = await upload(employer, content, filename)
    assert codes(payload) == ["IMAGE_INVALID"]


@pytest.mark.parametrize("filename", ["notes.txt", "photo.webp", "photo", "photo.png.exe"])
async def test_other_file_types_are_refused_by_name(employer: GraphQLClient, filename: str):
    payload = await upload(employer, png(), filename)
    assert codes(payload) == ["UNSUPPORTED_FILE_TYPE"]


async def test_a_huge_picture_in_a_small_file_is_refused(employer: GraphQLClient):
    out = io.BytesIO()
    Image.new("1", (5000, 4000)).save(out, "PNG")  # 20 million pixels in a few kilobytes
    assert len(out.getvalue()) < 10_000
    payload = await upload(employer, out.getvalue(), "bomb.png")
    assert codes(payload) == ["FILE_TOO_LARGE"]


async def test_metadata_is_stripped(server: Server, employer: GraphQLClient, staff: GraphQLClient):
    original = jpeg_with_metadata()
    assert b"SecretCameraMaker" in original
    assert b"hidden comment" in original
    image = await approved(staff, (await uploaded(employer, original, "team.jpg"))["id"])
    response = await employer.http.get(image["url"])
    assert response.status_code == 200
    data = response.content
    for secret in (
        b"Exif",
        b"SecretCameraMaker",
        b"Copyright Secret",
        b"hidden comment",
        b"ICCDATA",
    ):
        assert secret not in data
    decoded = Image.open(io.BytesIO(data))
    assert decoded.format == "JPEG"
    assert dict(decoded.getexif()) == {}
    assert "icc_profile" not in decoded.info
    assert "comment" not in decoded.info
    assert decoded.size == (16, 8)


async def test_the_exif_orientation_is_applied_before_it_is_stripped(employer: GraphQLClient):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image = await uploaded(employer, image_bytes("JPEG", exif=exif), "portrait.jpg")
    assert (image["width"], image["height"]) == (8, 16)


async def test_a_plain_value_instead_of_a_file_is_refused(employer: GraphQLClient):
    data = await employer.execute(UPLOAD, {"input": {"file": "not a file"}})
    assert codes(data["establishmentImageUpload"]) == ["REQUIRED"]


async def test_the_same_image_twice_is_refused(employer: GraphQLClient):
    await uploaded(employer, png(1), "a.png")
    payload = await upload(employer, png(1), "again.png")
    assert codes(payload) == ["ALREADY_EXISTS"]


async def test_a_long_caption_is_refused(employer: GraphQLClient):
    payload = await upload(employer, png(), "a.png", caption="あ" * 101)
    assert codes(payload) == ["TOO_LONG"]
    await uploaded(employer, png(), "a.png", caption="あ" * 100)


# --- The limit of 10 ----------------------------------------------------------------------------


async def test_the_tenth_image_is_accepted_and_the_eleventh_refused(
    employer: GraphQLClient, staff: GraphQLClient
):
    images = [await uploaded(employer, png(i), f"{i}.png") for i in range(10)]
    assert [image["position"] for image in images] == list(range(10))
    await approved(staff, images[0]["id"])
    payload = await upload(employer, png(10), "10.png")
    assert codes(payload) == ["IMAGE_LIMIT_REACHED"]
    assert "10件" in payload["errors"][0]["message"]
    # A rejected image does not count; deleting one makes room too.
    rejected = await review(staff, images[1]["id"], False, "人物の顔が写っています")
    assert rejected["image"]["status"] == "REJECTED"
    await uploaded(employer, png(10), "10.png")
    assert codes(await upload(employer, png(11), "11.png")) == ["IMAGE_LIMIT_REACHED"]
    data = await employer.execute(DELETE, {"input": {"imageId": images[2]["id"]}})
    assert data["establishmentImageDelete"]["errors"] == []
    await uploaded(employer, png(11), "11.png")


# --- Review and serving -------------------------------------------------------------------------


async def test_only_approved_images_are_served(
    server: Server, employer: GraphQLClient, staff: GraphQLClient, http: httpx.AsyncClient
):
    pending = await uploaded(employer, png(1), "pending.png")
    to_reject = await uploaded(employer, png(2), "rejected.png")
    to_approve = await uploaded(employer, png(3), "approved.png")
    files_before = set(server.settings.media_root.glob("*.png"))

    image = await approved(staff, to_approve["id"])
    assert image["status"] == "APPROVED"
    assert image["reviewedAt"]
    url = image["url"]
    assert url.startswith("/media/")
    assert url.endswith(".png")
    response = await http.get(url)  # anonymous, like any visitor of a posting
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in response.headers["cache-control"]
    assert hashlib.sha256(response.content).hexdigest() == url.removeprefix("/media/")[:-4]
    assert Image.open(io.BytesIO(response.content)).size == (16, 8)

    rejected = await review(staff, to_reject["id"], False, "画像が不鮮明です")
    assert rejected["errors"] == []
    assert rejected["image"]["reviewReason"] == "画像が不鮮明です"
    assert rejected["image"]["url"] is None

    # The pending and rejected files exist, under names nobody is told, and are not served.
    hidden = {path.name for path in files_before} - {url.removeprefix("/media/")}
    assert len(hidden) >= 2
    for name in hidden:
        assert (await http.get(f"/media/{name}")).status_code == 404
    assert pending["url"] is None
    for name in ("0" * 64 + ".png", "../hellowork.sqlite3", "x.png", url[7:-4] + ".gif"):
        assert (await http.get(f"/media/{name}")).status_code == 404

    data = await employer.execute(DELETE, {"input": {"imageId": image["id"]}})
    assert data["establishmentImageDelete"] == {"deletedImageId": image["id"], "errors": []}
    assert (await http.get(url)).status_code == 404
    assert not (server.settings.media_root / url.removeprefix("/media/")).exists()


async def test_a_rejection_needs_a_reason_and_a_review_happens_once(
    employer: GraphQLClient, staff: GraphQLClient
):
    image = await uploaded(employer, png(), "a.png")
    payload = await review(staff, image["id"], False, "  ")
    assert codes(payload) == ["REQUIRED"]
    assert payload["errors"][0]["field"] == "reason"
    await approved(staff, image["id"])
    assert codes(await review(staff, image["id"], False, "やはり不可")) == ["INVALID_STATE"]


async def test_staff_of_another_office_cannot_review_or_list(
    employer: GraphQLClient,
    staff: GraphQLClient,
    other_staff: GraphQLClient,
    counter: Counter,
):
    image = await uploaded(employer, png(), "a.png")
    response = await other_staff.post(REVIEW, {"input": {"imageId": image["id"], "approve": True}})
    assert flows.not_found_for_another_office(response, "imageReview")
    response = await other_staff.post(IMAGES, {"establishmentId": counter.establishment_id})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert (await other_staff.execute(NODE, {"id": image["id"]}))["node"] is None
    # Their own office's staff see it, and employers cannot review.
    data = await staff.execute(IMAGES, {"establishmentId": counter.establishment_id})
    assert [found["id"] for found in data["establishmentImages"]] == [image["id"]]
    response = await employer.post(REVIEW, {"input": {"imageId": image["id"], "approve": True}})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]


async def test_another_establishment_cannot_see_or_change_the_images(
    employer: GraphQLClient, other_employer: GraphQLClient, counter: Counter
):
    image = await uploaded(employer, png(), "a.png")
    mine = await uploaded(other_employer, png(1), "b.png")

    data = await other_employer.execute(IMAGES)
    assert [found["id"] for found in data["establishmentImages"]] == [mine["id"]]
    response = await other_employer.post(IMAGES, {"establishmentId": counter.establishment_id})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert (await other_employer.execute(NODE, {"id": image["id"]}))["node"] is None

    data = await other_employer.execute(DELETE, {"input": {"imageId": image["id"]}})
    assert codes(data["establishmentImageDelete"]) == ["NOT_FOUND"]
    data = await other_employer.execute(
        CAPTION, {"input": {"imageId": image["id"], "caption": "乗っ取り"}}
    )
    assert codes(data["establishmentImageCaptionUpdate"]) == ["NOT_FOUND"]
    data = await other_employer.execute(REORDER, {"input": {"imageIds": [image["id"], mine["id"]]}})
    assert codes(data["establishmentImageReorder"]) == ["MISMATCH"]

    data = await employer.execute(IMAGES)
    assert data["establishmentImages"] == [image]


async def test_anonymous_viewers_cannot_upload_or_list(
    http: httpx.AsyncClient, employer: GraphQLClient
):
    anonymous = GraphQLClient(http)
    response = await anonymous.post(IMAGES)
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    response = await post_upload(
        anonymous, png(), "a.png", headers={"Apollo-Require-Preflight": "true"}
    )
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


# --- Order, captions and deletion -----------------------------------------------------------------


async def test_reorder_puts_the_images_in_the_given_order(employer: GraphQLClient):
    ids = [(await uploaded(employer, png(i), f"{i}.png"))["id"] for i in range(3)]
    new_order = [ids[2], ids[0], ids[1]]
    data = await employer.execute(REORDER, {"input": {"imageIds": new_order}})
    payload = data["establishmentImageReorder"]
    assert payload["errors"] == []
    assert [(image["id"], image["position"]) for image in payload["images"]] == [
        (image_id, position) for position, image_id in enumerate(new_order)
    ]
    listed = (await employer.execute(IMAGES))["establishmentImages"]
    assert [image["id"] for image in listed] == new_order

    for wrong in ([ids[0], ids[1]], [*ids, ids[0]], [ids[0], ids[1], "bm90IGFuIGlk"], []):
        data = await employer.execute(REORDER, {"input": {"imageIds": wrong}})
        assert data["establishmentImageReorder"]["errors"], wrong

    # Deleting one closes the gap.
    await employer.execute(DELETE, {"input": {"imageId": new_order[0]}})
    listed = (await employer.execute(IMAGES))["establishmentImages"]
    assert [(image["id"], image["position"]) for image in listed] == [
        (new_order[1], 0),
        (new_order[2], 1),
    ]
    image = await uploaded(employer, png(5), "5.png")
    assert image["position"] == 2


async def test_caption_update(employer: GraphQLClient, staff: GraphQLClient):
    image = await uploaded(employer, png(), "a.png", caption="旧")
    data = await employer.execute(CAPTION, {"input": {"imageId": image["id"], "caption": " 新 "}})
    payload = data["establishmentImageCaptionUpdate"]
    assert payload["errors"] == []
    assert payload["image"]["caption"] == "新"
    assert payload["image"]["status"] == "PENDING"

    data = await employer.execute(
        CAPTION, {"input": {"imageId": image["id"], "caption": "あ" * 101}}
    )
    assert codes(data["establishmentImageCaptionUpdate"]) == ["TOO_LONG"]

    # The caption is shown with the image: a new caption on an approved one is reviewed again.
    await approved(staff, image["id"])
    data = await employer.execute(CAPTION, {"input": {"imageId": image["id"], "caption": "別"}})
    changed = data["establishmentImageCaptionUpdate"]["image"]
    assert (changed["status"], changed["url"], changed["reviewedAt"]) == ("PENDING", None, None)


# --- On postings --------------------------------------------------------------------------------

POSTING_IMAGES = """query ($id: ID!) { node(id: $id) { ... on Posting { images { url caption
  format width height } } } }"""
SEARCH_IMAGES = """{ postingSearch(first: 10) { edges { node { postingNumber establishmentName
  images { url caption } } } } }"""


async def test_approved_images_are_listed_on_postings(
    employer: GraphQLClient, staff: GraphQLClient, http: httpx.AsyncClient
):
    posting = await flows.active_posting(employer, staff)
    first = await uploaded(employer, png(1), "1.png", caption="外観")
    second = await uploaded(employer, png(2), "2.png", caption="作業場")
    waiting = await uploaded(employer, png(3), "3.png", caption="審査待ち")
    await approved(staff, first["id"])
    shown = await approved(staff, second["id"])
    order = [second["id"], first["id"], waiting["id"]]
    await employer.execute(REORDER, {"input": {"imageIds": order}})

    data = await employer.execute(POSTING_IMAGES, {"id": posting["id"]})
    assert [image["caption"] for image in data["node"]["images"]] == ["作業場", "外観"]
    assert data["node"]["images"][0]["url"] == shown["url"]

    anonymous = GraphQLClient(http)
    edges = (await anonymous.execute(SEARCH_IMAGES))["postingSearch"]["edges"]
    assert [image["caption"] for image in edges[0]["node"]["images"]] == ["作業場", "外観"]


async def test_a_posting_without_the_name_shows_no_images(
    employer: GraphQLClient, staff: GraphQLClient, http: httpx.AsyncClient
):
    await flows.active_posting(employer, staff, publicationRange="WITHOUT_NAME")
    await approved(staff, (await uploaded(employer, png(), "a.png"))["id"])
    edges = (await GraphQLClient(http).execute(SEARCH_IMAGES))["postingSearch"]["edges"]
    assert edges[0]["node"]["establishmentName"] is None
    assert edges[0]["node"]["images"] == []


# --- The multipart request itself -------------------------------------------------------------


async def test_a_multipart_request_needs_a_header_a_form_cannot_send(
    server: Server, counter: Counter, new_client
):
    """A cross-site form could post multipart with the session cookie: a cookie alone is not
    enough; `Apollo-Require-Preflight` (or a bearer token) makes browsers ask first."""
    client = new_client()
    await flows.open_employer_account(server, client, counter)
    client.token = None  # from here on, the session cookie only
    assert client.http.cookies
    response = await post_upload(client, png(), "a.png", headers={})
    assert response.status_code == 403  # app/middleware.py refuses it before strawberry reads it
    response = await post_upload(
        client, png(), "a.png", headers={"Apollo-Require-Preflight": "true"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["establishmentImageUpload"]["errors"] == []


def curl_command(server: Server, token: str, path: Path) -> list[str]:
    """The README's example, as arguments."""
    operations = (
        '{"query": "mutation ($file: Upload!) { establishmentImageUpload(input: {file: $file, '
        'caption: \\"店舗外観\\"}) { image { id status } errors { code message } } }", '
        '"variables": {"file": null}}'
    )
    return [
        "curl",
        "--silent",
        "--show-error",
        f"{server.url}/graphql",
        "-H",
        f"Authorization: Bearer {token}",
        "-F",
        f"operations={operations}",
        "-F",
        'map={"0": ["variables.file"]}',
        "-F",
        f"0=@{path}",
    ]


async def test_curl_can_upload(server: Server, employer: GraphQLClient, tmp_path: Path):
    if shutil.which("curl") is None:
        if os.environ.get("CI"):
            pytest.fail("curl is missing in CI")
        pytest.skip("curl is not installed")
    path = tmp_path / "shop.png"
    path.write_bytes(png(7))
    assert employer.token is not None
    result = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            curl_command(server, employer.token or "", path),
            capture_output=True,
            check=True,
            timeout=30,
        )
    )
    body = json.loads(result.stdout)
    payload = body["data"]["establishmentImageUpload"]
    assert payload["errors"] == []
    assert payload["image"]["status"] == "PENDING"


# --- Settings -----------------------------------------------------------------------------------


def test_media_root_defaults_under_the_var_dir() -> None:
    assert Settings.from_env({"APP_VAR_DIR": "/srv/hw"}).media_root == Path("/srv/hw/media")
    assert Settings.from_env({"MEDIA_ROOT": "/data/media"}).media_root == Path("/data/media")
