"""Images: types, inputs, payloads and root fields (see DESIGN.md)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ImageQuery:
    pass


@strawberry.type
class ImageMutation:
    pass
