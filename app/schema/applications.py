"""Applications: types, inputs, payloads and root fields (see DESIGN.md)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ApplicationQuery:
    pass


@strawberry.type
class ApplicationMutation:
    pass
