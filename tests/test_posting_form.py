"""The posting form's declarations: in the form's order, and readable from what was stored."""

from __future__ import annotations

import re

from app.models.posting_form import ITEMS, PostingCategory, PostingForm
from app.resolvers.postings import PostingContent
from tests import flows


def test_a_stored_change_reads_the_items_it_lacks_as_left_out() -> None:
    """A change waiting for review since before an item was added to the form still reads."""
    sent = {
        re.sub("([A-Z])", r"_\1", name).lower(): v for name, v in flows.posting_content().items()
    }
    stored = {name: v for name, v in sent.items() if getattr(PostingForm, name).sent}

    content = PostingContent.from_json(stored)

    assert content.category is PostingCategory.GENERAL
    left_out = {item.name: getattr(content, item.name) for item in ITEMS if not item.sent}
    assert left_out == {
        item.name: item.default_factory()
        for item in ITEMS
        if not item.sent and item.default_factory
    }
    assert left_out["age_limit"] is None
    assert left_out["fixed_allowances"] == []
