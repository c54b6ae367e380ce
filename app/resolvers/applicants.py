"""Who applied (応募者): the person behind an application, as the establishment of the posting
and the staff of its office see them, and the record of every read of it (DESIGN.md §11).

A seeker with a My Page is read from their profile and login, as they keep it up to date; a
person referred at the counter without one (a walk-in) from what staff entered. Nobody else
sees any of it: the employers of other establishments, staff of other offices and the search
of seekers see the anonymised profile only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.models import Application, Establishment, PersonalDataAccess, SeekerProfile, User
from app.models.accounts import Portal
from app.models.applications import PersonalDataKind
from app.resolvers.paging import Page, Window, newest
from app.runtime import Runtime
from app.viewer import Viewer


@dataclass(frozen=True)
class Person:
    """An applicant's name, age, address and contact: personal data."""

    name: str
    """氏名"""
    kana: str
    """氏名カナ"""
    age: int | None
    """年齢 today, from the birth date (a walk-in: as entered at the referral)"""
    prefecture: str
    city: str
    phone: str
    email: str
    has_my_page: bool
    """False for a walk-in: reachable by phone or mail only, never by message."""


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Full years on `today` (a birthday on 29 February counts from 1 March)."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def may_read(user: User, application: Application, office_id: int) -> bool:
    """The establishment of the posting applied to, and staff of its office (`office_id`)."""
    if user.portal == Portal.EMPLOYER:
        return user.establishment_id == application.establishment_id
    if user.portal == Portal.STAFF:
        return user.office_id == office_id
    return False


async def readable(viewer: Viewer, application_ids: Iterable[int]) -> dict[int, Application]:
    """The applications among `application_ids` whose applicant the viewer may see."""
    user = viewer.user
    ids = list(application_ids)
    if user is None or not ids:
        return {}
    query = viewer.scope(
        Application.filter(id__in=ids),
        establishment="establishment_id",
        office="establishment__office_id",
    )
    if query is None or user.portal == Portal.SEEKER:
        return {}
    return {application.id: application for application in await query}


async def persons(applications: Iterable[Application], today: dt.date) -> dict[int, Person]:
    """The person behind each application, by application id (two statements at most)."""
    rows = list(applications)
    seeker_ids = {row.seeker_id for row in rows if row.seeker_id is not None}
    profiles: dict[int, SeekerProfile] = {}
    emails: dict[int, str] = {}
    if seeker_ids:
        profiles = {
            profile.user_id: profile
            for profile in await SeekerProfile.filter(user_id__in=seeker_ids)
        }
        emails = {
            user_id: email
            for user_id, email in await User.filter(id__in=seeker_ids).values_list("id", "email")
        }
    found: dict[int, Person] = {}
    for row in rows:
        if row.seeker_id is None:
            found[row.id] = Person(
                name=row.walk_in_name,
                kana=row.walk_in_kana,
                age=row.walk_in_age,
                prefecture=row.walk_in_prefecture,
                city=row.walk_in_city,
                phone=row.walk_in_phone,
                email=row.walk_in_email,
                has_my_page=False,
            )
            continue
        profile = profiles.get(row.seeker_id)
        found[row.id] = Person(
            name=profile.display_name if profile else "",
            kana=profile.name_kana if profile else "",
            age=age_on(profile.birth_date, today) if profile and profile.birth_date else None,
            prefecture=profile.prefecture if profile else "",
            city=profile.city if profile else "",
            phone=profile.phone_number if profile else "",
            email=emails.get(row.seeker_id, ""),
            has_my_page=True,
        )
    return found


async def read_persons(
    rt: Runtime, viewer: Viewer, application_ids: Sequence[int]
) -> list[Person | None]:
    """The person behind each application the viewer may see (None for the others), each
    read recorded (CONTACT). For a dataloader: one call answers a whole page."""
    found = await readable(viewer, application_ids)
    people = await persons(found.values(), rt.clock.today())
    assert viewer.user is not None or not found
    if viewer.user is not None:
        await record_reads(
            rt,
            viewer.user,
            [
                Read(
                    kind=PersonalDataKind.CONTACT,
                    establishment_id=application.establishment_id,
                    application_id=application.id,
                )
                for application in found.values()
            ],
        )
    return [people.get(application_id) for application_id in application_ids]


@dataclass(frozen=True)
class Read:
    """One read to record: `application` (or, for a whole posting's export, `posting_id`)."""

    kind: PersonalDataKind
    establishment_id: int
    application_id: int | None = None
    posting_id: int | None = None
    document_id: int | None = None


async def record_reads(rt: Runtime, reader: User, reads: Iterable[Read]) -> None:
    """Append who read what, now; one statement for all of them."""
    wanted = list(reads)
    if not wanted:
        return
    establishment_ids = {read.establishment_id for read in wanted}
    offices = dict(
        await Establishment.filter(id__in=establishment_ids).values_list("id", "office_id")
    )
    now = rt.clock.now()
    await PersonalDataAccess.bulk_create(
        [
            PersonalDataAccess(
                at=now,
                reader_id=reader.id,
                office_id=offices[read.establishment_id],
                establishment_id=read.establishment_id,
                application_id=read.application_id,
                posting_id=read.posting_id,
                kind=read.kind,
                document_id=read.document_id,
            )
            for read in wanted
        ]
    )


async def access_log(
    viewer: Viewer,
    *,
    application_id: int | None = None,
    window: Window[int],
) -> Page[PersonalDataAccess]:
    """Staff: the reads of applicants' personal data for their office, newest first."""
    staff = viewer.require_staff()
    query = PersonalDataAccess.filter(office_id=staff.office_id)
    if application_id is not None:
        query = query.filter(application_id=application_id)
    return await newest(query, window)


async def visible_reads(viewer: Viewer, ids: list[int]) -> dict[int, PersonalDataAccess]:
    """The reads among `ids` of the staff member's office; nothing for anyone else."""
    user = viewer.user
    if user is None or user.portal != Portal.STAFF:
        return {}
    rows = await PersonalDataAccess.filter(id__in=ids, office_id=user.office_id)
    return {row.id: row for row in rows}
