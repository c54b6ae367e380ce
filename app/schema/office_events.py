"""OfficeEvents: types, inputs, payloads and root fields (see DESIGN.md)."""

from __future__ import annotations

import strawberry


@strawberry.type
class OfficeEventQuery:
    pass


@strawberry.type
class OfficeEventMutation:
    pass
