"""The export of applicants and their results (応募者一覧の出力): who may export which, and the
rows, a page at a time.

The employers of an establishment export the applications to one of its postings, or to all
of them; the staff of its office, those to one posting (they name it). The export is of the
applications there when it opens, oldest first, read in keyset pages of `PAGE_ROWS` with the
persons behind them looked up page by page, so that any number of rows is read in bounded
memory. Opening an export records one read of personal data (DESIGN.md §11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from app.models import Application, Posting
from app.models.accounts import Portal
from app.models.applications import PersonalDataKind
from app.resolvers import applicants
from app.runtime import Runtime
from app.viewer import Viewer

PAGE_ROWS = 500
"""Applications read per statement: a page's rows and persons are all that is held at once."""


@dataclass(frozen=True)
class ApplicationExport:
    """An export the viewer may have: of one posting's applications, or (`posting_id` None)
    of every application to the establishment."""

    establishment_id: int
    posting_id: int | None
    posting_number: str | None
    """求人番号 of the posting exported; None for all, or before acceptance."""
    through_id: int
    """The newest application when the export opened: the export ends there."""
    today: dt.date
    """The day the export opened (Tokyo), which ages are counted on."""


@dataclass(frozen=True)
class ExportRow:
    """One application with the person behind it and the posting it is to."""

    application: Application
    person: applicants.Person
    posting_number: str
    """求人番号; empty before acceptance"""
    job_title: str
    """職種"""


async def open_export(
    rt: Runtime, viewer: Viewer, posting_id: int | None
) -> ApplicationExport | None:
    """The export of the applications to `posting_id` (or, for an employer, with None, to
    every posting of the establishment), recorded as read by the viewer; None when the viewer
    may not have it, and for a posting that is not there, alike."""
    user = viewer.user
    if user is None or user.portal not in (Portal.EMPLOYER, Portal.STAFF):
        return None
    posting: Posting | None = None
    if posting_id is not None:
        query = viewer.scope(
            Posting.filter(id=posting_id),
            establishment="establishment_id",
            office="establishment__office_id",
        )
        posting = await query.first() if query is not None else None
        if posting is None:
            return None
        establishment_id = posting.establishment_id
    elif user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        establishment_id = user.establishment_id
    else:
        return None  # staff name the posting
    newest = await _applications(establishment_id, posting_id).order_by("-id").only("id").first()
    await applicants.record_reads(
        rt,
        user,
        [
            applicants.Read(
                kind=PersonalDataKind.EXPORT,
                establishment_id=establishment_id,
                posting_id=posting_id,
            )
        ],
    )
    return ApplicationExport(
        establishment_id=establishment_id,
        posting_id=posting_id,
        posting_number=posting.posting_number if posting else None,
        through_id=newest.id if newest else 0,
        today=rt.clock.today(),
    )


async def export_pages(export: ApplicationExport) -> AsyncIterator[list[ExportRow]]:
    """The export's rows, oldest first, in pages of at most `PAGE_ROWS`: four statements a
    page at most (the applications, the persons' profiles and logins, the postings)."""
    after = 0
    while True:
        page = (
            await _applications(export.establishment_id, export.posting_id)
            .filter(id__gt=after, id__lte=export.through_id)
            .order_by("id")
            .limit(PAGE_ROWS)
        )
        if not page:
            return
        persons = await applicants.persons(page, export.today)
        postings: dict[int, tuple[str, str]] = {
            posting_id: (number or "", title or "")
            for posting_id, number, title in await Posting.filter(
                id__in={row.posting_id for row in page}
            ).values_list("id", "posting_number", "job_title")
        }
        yield [
            ExportRow(row, persons[row.id], *postings.get(row.posting_id, ("", ""))) for row in page
        ]
        if len(page) < PAGE_ROWS:
            return
        after = page[-1].id


def _applications(establishment_id: int, posting_id: int | None) -> QuerySet[Application]:
    # The establishment always: the (establishment_id, id) index serves both kinds of export.
    query = Application.filter(establishment_id=establishment_id)
    return query.filter(posting_id=posting_id) if posting_id is not None else query
