"""Messages: types, inputs, payloads and root fields (see DESIGN.md)."""

from __future__ import annotations

import strawberry


@strawberry.type
class MessageQuery:
    pass


@strawberry.type
class MessageMutation:
    pass
