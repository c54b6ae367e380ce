"""Printing a posting (求人票の印刷): who may have it, and what it shows them.

The rule is the API's: the employers of the posting's establishment and the staff of its office
have it in any status, whole; anyone else (another employer or office, a seeker, nobody) only
while it is published to them, with the establishment named as its publication range (公開範囲)
allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Establishment, Posting
from app.printing import PrintedForm, printed_form
from app.resolvers import postings
from app.runtime import Runtime
from app.viewer import Viewer


@dataclass(frozen=True)
class PrintJob:
    """A posting the viewer may have printed: the form as it prints, and the file's name."""

    form: PrintedForm
    file_name: str


async def printable_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> PrintJob | None:
    """The posting `posting_id` as the viewer may have it printed; None when there is no such
    posting and when the viewer may not see it, alike, so that ids cannot be probed."""
    posting = (await postings.visible_postings(viewer, [posting_id])).get(posting_id)
    shows_name = True
    if posting is None:
        posting = await Posting.get_or_none(id=posting_id)
        if posting is None or not postings.is_published_to(rt, viewer, posting):
            return None
        shows_name = postings.shows_establishment(viewer, posting)
    establishment = await Establishment.get(id=posting.establishment_id).select_related("office")
    form = printed_form(
        posting,
        postings.PostingContent.of(posting),
        establishment,
        establishment.office,
        shows_name=shows_name,
    )
    return PrintJob(form=form, file_name=f"kyujinhyo-{posting.posting_number or posting.id}.pdf")
