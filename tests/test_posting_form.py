"""The posting form's declarations: in the form's order, and readable from what was stored."""

from __future__ import annotations

import re

from app.models.posting_form import ITEMS, PostingCategory, PostingForm, Section
from app.resolvers.postings import PostingContent
from tests import flows


def test_items_run_section_by_section_in_the_forms_order() -> None:
    sections = [item.section for item in ITEMS]

    assert sections == sorted(sections, key=list(Section).index)
    assert set(sections) == set(Section)


def test_a_stored_change_reads_the_items_it_lacks_as_left_out() -> None:
    """A change waiting for review since before an item was added to the form still reads."""
    sent = {
        re.sub("([A-Z])", r"_\1", name).lower(): v for name, v in flows.posting_content().items()
    }
    stored = {name: v for name, v in sent.items() if getattr(PostingForm, name).required}

    content = PostingContent.from_json(stored)

    assert content.category is PostingCategory.GENERAL
    assert {item.name: getattr(content, item.name) for item in ITEMS if not item.required} == {
        "employment_period_detail": "",
        "required_experience": "",
        "required_licenses": "",
        "age_limit": None,
        "age_limit_reason": None,
        "allowances": "",
        "overtime_detail": "",
        "holidays_detail": "",
        "insurances": [],
        "insurance": "",
        "retirement_age": None,
        "pr": "",
        "documents": "",
    }
