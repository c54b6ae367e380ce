"""Seekers: types, inputs, payloads and root fields (see DESIGN.md)."""

from __future__ import annotations

import strawberry


@strawberry.type
class SeekerQuery:
    pass


@strawberry.type
class SeekerMutation:
    pass
