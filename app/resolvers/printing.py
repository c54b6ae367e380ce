"""Printing a posting (求人票の印刷) and a referral letter (紹介状): who may have them, and what
they show them.

A posting: the employers of the posting's establishment and the staff of its office have it in
any status, whole; anyone else (another employer or office, a seeker, nobody) only while it is
published to them, with the establishment named as its publication range (公開範囲) allows.

A referral letter is the applicant's personal data (DESIGN.md §11): only the establishment of
the posting and the staff of its office have it (`applicants.may_read`), and every time they do
is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.models import Application, Establishment, Office, Posting, User
from app.models.applications import ApplicationSource, PersonalDataKind
from app.printing import PrintedForm, PrintedLetter, printed_form, printed_letter
from app.resolvers import applicants, postings
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


@dataclass(frozen=True)
class LetterJob:
    """A referral letter the viewer may have: the letter as it prints, and the file's name."""

    letter: PrintedLetter
    file_name: str


_FILE_NAME_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


async def referral_letter(rt: Runtime, viewer: Viewer, application_id: int) -> LetterJob | None:
    """The 紹介状 of the referral `application_id`, recorded as read by the viewer; None when
    there is no such referral (an online application has no letter) and when the viewer may
    not read it, alike."""
    user = viewer.user
    if user is None:
        return None
    application = await Application.get_or_none(
        id=application_id, source=ApplicationSource.REFERRAL
    ).select_related("posting", "establishment__office")
    if application is None:
        return None
    establishment = application.establishment
    if not applicants.may_read(user, application, establishment.office_id):
        return None
    office = await _referring_office(application.referred_by_id) or establishment.office
    person = (await applicants.persons([application], rt.clock.today()))[application.id]
    letter = printed_letter(
        application,
        application.posting,
        postings.PostingContent.of(application.posting),
        establishment,
        office,
        name=person.name,
        kana=person.kana,
        age=person.age,
    )
    await applicants.record_reads(
        rt,
        user,
        [
            applicants.Read(
                kind=PersonalDataKind.REFERRAL_LETTER,
                establishment_id=application.establishment_id,
                application_id=application.id,
                posting_id=application.posting_id,
            )
        ],
    )
    # The letter number is half-width but may hold any symbol: kept out of the header's quotes.
    number = _FILE_NAME_UNSAFE.sub("_", application.referral_letter_number or "")
    return LetterJob(letter=letter, file_name=f"shokaijo-{number or application.id}.pdf")


async def _referring_office(staff_id: int | None) -> Office | None:
    """The office of the staff member who referred, as the letter names it."""
    if staff_id is None:
        return None
    staff = await User.get_or_none(id=staff_id).select_related("office")
    return staff.office if staff is not None else None
