"""Dataloaders, built per request so that no cache outlives its viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from strawberry.dataloader import DataLoader
from tortoise.expressions import Subquery
from tortoise.functions import Count, Max

from app import models
from app.models.accounts import Portal
from app.models.applications import ApplicationStatus
from app.models.establishments import ReviewStatus
from app.models.messages import MessageSender
from app.models.postings import PostingAction, PostingStatus
from app.resolvers import documents, images
from app.resolvers.applicants import Person


async def _offices(ids: Sequence[int]) -> list[models.Office]:
    by_id = {office.id: office for office in await models.Office.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


async def _users(ids: Sequence[int]) -> list[models.User | None]:
    by_id = {user.id: user for user in await models.User.filter(id__in=list(ids))}
    return [by_id.get(i) for i in ids]


async def _establishments(ids: Sequence[int]) -> list[models.Establishment]:
    found = await models.Establishment.filter(id__in=list(ids))
    by_id = {establishment.id: establishment for establishment in found}
    return [by_id[i] for i in ids]


async def _postings(ids: Sequence[int]) -> list[models.Posting]:
    by_id = {posting.id: posting for posting in await models.Posting.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


class PostingHistoryRow(TypedDict):
    """One entry of a posting's history as the page shows it (a row, not a model: a page of
    postings reads a few hundred of them, and building models and their actors costs more
    than the query)."""

    id: int
    """The event's row, for the entry's global ID."""
    posting_id: int
    action: PostingAction
    actor_portal: Portal | None
    from_status: PostingStatus | None
    to_status: PostingStatus
    reason: str | None
    changes: list[dict[str, Any]] | None
    """What a correction by staff changed (field, label, before, after), else None."""
    created_at: dt.datetime


async def _histories(
    model: type[models.PostingEvent | models.ApplicationEvent],
    key: str,
    row_type: type[Any],
    ids: Sequence[int],
) -> list[list[Any]]:
    """Per id of `key`, its history rows (the fields of `row_type`), oldest first, with the
    portal of who acted: one query, no model built."""
    history: dict[int, list[Any]] = {i: [] for i in ids}
    rows = (
        await model.filter(**{f"{key}__in": list(ids)})
        .order_by("id")
        .values(
            *row_type.__annotations__.keys() - {"actor_portal"},
            actor_portal="actor__portal",
        )
    )
    for row in rows:
        history[row[key]].append(row)
    return [history[i] for i in ids]


async def _posting_events(posting_ids: Sequence[int]) -> list[list[PostingHistoryRow]]:
    """The history of each posting, oldest first, with who acted."""
    return await _histories(models.PostingEvent, "posting_id", PostingHistoryRow, posting_ids)


# --- Messages -------------------------------------------------------------------------------


async def _message_threads(ids: Sequence[int]) -> list[models.MessageThread]:
    by_id = {thread.id: thread for thread in await models.MessageThread.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


async def _last_messages(thread_ids: Sequence[int]) -> list[models.Message | None]:
    """The newest message of each thread (ids grow with time), in one statement."""
    newest = (
        models.Message.filter(thread_id__in=list(thread_ids))
        .annotate(newest_id=Max("id"))
        .group_by("thread_id")
        .values("newest_id")
    )
    found = await models.Message.filter(id__in=Subquery(newest))
    by_thread = {message.thread_id: message for message in found}
    return [by_thread.get(i) for i in thread_ids]


async def _unread_message_counts(keys: Sequence[tuple[int, MessageSender]]) -> list[int]:
    """Per (thread, sender): how many of that sender's messages the other side has not read."""
    rows = (
        await models.Message.filter(
            thread_id__in=list({thread_id for thread_id, _ in keys}), read_at__isnull=True
        )
        .annotate(unread=Count("id"))
        .group_by("thread_id", "sender")
        .values("thread_id", "sender", "unread")
    )
    counts = {(row["thread_id"], MessageSender(row["sender"])): row["unread"] for row in rows}
    return [counts.get(key, 0) for key in keys]


async def _conversation_relations(
    pairs: Sequence[tuple[int, int]],
) -> list[list[models.Application | models.SeekerRequest]]:
    """Per (establishment, seeker): the applications and requests that let them talk, with
    their postings, oldest first."""
    establishment_ids = list({establishment_id for establishment_id, _ in pairs})
    seeker_ids = list({seeker_id for _, seeker_id in pairs})
    found: dict[tuple[int, int], list[models.Application | models.SeekerRequest]] = {
        pair: [] for pair in pairs
    }
    for model in (models.Application, models.SeekerRequest):
        rows = await model.filter(
            posting__establishment_id__in=establishment_ids, seeker_id__in=seeker_ids
        ).select_related("posting")
        for row in rows:
            pair = (row.posting.establishment_id, row.seeker_id)
            if pair in found:
                found[pair].append(row)
    return [sorted(found[pair], key=_relation_order) for pair in pairs]


def _relation_order(row: models.Application | models.SeekerRequest) -> tuple[Any, ...]:
    """Oldest first; a request before the application that answers it, even in one instant."""
    return (row.created_at, isinstance(row, models.Application), row.id)


# --- Seekers and applications ---------------------------------------------------------------


async def _seeker_profiles(user_ids: Sequence[int]) -> list[models.SeekerProfile | None]:
    found = await models.SeekerProfile.filter(user_id__in=list(user_ids))
    by_user = {profile.user_id: profile for profile in found}
    return [by_user.get(i) for i in user_ids]


class ApplicationHistoryRow(TypedDict):
    """One status change of an application, as `PostingHistoryRow`."""

    id: int
    """The event's row, for the change's global ID."""
    application_id: int
    actor_portal: Portal | None
    at: dt.datetime
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    reason: str


async def _application_events(
    application_ids: Sequence[int],
) -> list[list[ApplicationHistoryRow]]:
    """The status history of each application, oldest first, with who acted."""
    return await _histories(
        models.ApplicationEvent, "application_id", ApplicationHistoryRow, application_ids
    )


async def _application_notes(
    application_ids: Sequence[int],
) -> list[list[models.ApplicationNote]]:
    """The internal notes of each application, newest first. Unchecked: the field that loads
    them shows them only to the establishment's logins."""
    notes: dict[int, list[models.ApplicationNote]] = {i: [] for i in application_ids}
    for note in await models.ApplicationNote.filter(
        application_id__in=list(application_ids)
    ).order_by("-id"):
        notes[note.application_id].append(note)
    return [notes[i] for i in application_ids]


async def _interviews(application_ids: Sequence[int]) -> list[list[models.Interview]]:
    """The interviews of each application, soonest first, cancelled ones included."""
    interviews: dict[int, list[models.Interview]] = {i: [] for i in application_ids}
    for interview in await models.Interview.filter(
        application_id__in=list(application_ids)
    ).order_by("starts_at", "id"):
        interviews[interview.application_id].append(interview)
    return [interviews[i] for i in application_ids]


# --- Establishments --------------------------------------------------------------------------


async def _pending_establishment_changes(
    establishment_ids: Sequence[int],
) -> list[models.EstablishmentChange | None]:
    """The change waiting for review of each establishment (at most one waits)."""
    found = await models.EstablishmentChange.filter(
        establishment_id__in=list(establishment_ids), status=ReviewStatus.PENDING
    ).order_by("id")
    by_establishment = {change.establishment_id: change for change in found}
    return [by_establishment.get(i) for i in establishment_ids]


# --- Office events ------------------------------------------------------------------------------


async def _office_event_registration_counts(event_ids: Sequence[int]) -> list[int]:
    """How many establishments registered for each event, in one statement."""
    rows = (
        await models.OfficeEventInterest.filter(event_id__in=list(event_ids))
        .annotate(taken=Count("id"))
        .group_by("event_id")
        .values("event_id", "taken")
    )
    taken = {row["event_id"]: row["taken"] for row in rows}
    return [taken.get(i, 0) for i in event_ids]


async def _office_event_registered(keys: Sequence[tuple[int, int]]) -> list[bool]:
    """Per (event, establishment): whether the establishment registered for the event."""
    rows = await models.OfficeEventInterest.filter(
        event_id__in=list({event_id for event_id, _ in keys}),
        establishment_id__in=list({establishment_id for _, establishment_id in keys}),
    ).values_list("event_id", "establishment_id")
    found = {(event_id, establishment_id) for event_id, establishment_id in rows}
    return [key in found for key in keys]


# --- Applicants' documents ------------------------------------------------------------------


async def _documents(application_ids: Sequence[int]) -> list[list[models.ApplicationDocument]]:
    """The documents (応募書類) of each application, oldest first."""
    found = await documents.documents_of_applications(application_ids)
    return [found[i] for i in application_ids]


# --- Images ---------------------------------------------------------------------------------


async def _approved_images(
    establishment_ids: Sequence[int],
) -> list[list[models.EstablishmentImage]]:
    """The approved images of each establishment, in display order."""
    found = await images.approved_images(list(establishment_ids))
    return [found[i] for i in establishment_ids]


@dataclass
class Loaders:
    office_by_id: DataLoader[int, models.Office] = field(
        default_factory=lambda: DataLoader(load_fn=_offices)
    )
    user_by_id: DataLoader[int, models.User | None] = field(
        default_factory=lambda: DataLoader(load_fn=_users)
    )
    establishment_by_id: DataLoader[int, models.Establishment] = field(
        default_factory=lambda: DataLoader(load_fn=_establishments)
    )
    posting_events_by_posting_id: DataLoader[int, list[PostingHistoryRow]] = field(
        default_factory=lambda: DataLoader(load_fn=_posting_events)
    )
    posting_by_id: DataLoader[int, models.Posting] = field(
        default_factory=lambda: DataLoader(load_fn=_postings)
    )
    message_thread_by_id: DataLoader[int, models.MessageThread] = field(
        default_factory=lambda: DataLoader(load_fn=_message_threads)
    )
    last_message_by_thread_id: DataLoader[int, models.Message | None] = field(
        default_factory=lambda: DataLoader(load_fn=_last_messages)
    )
    unread_count_by_thread_and_sender: DataLoader[tuple[int, MessageSender], int] = field(
        default_factory=lambda: DataLoader(load_fn=_unread_message_counts)
    )
    conversation_relations_by_pair: DataLoader[
        tuple[int, int], list[models.Application | models.SeekerRequest]
    ] = field(default_factory=lambda: DataLoader(load_fn=_conversation_relations))
    seeker_profile_by_user_id: DataLoader[int, models.SeekerProfile | None] = field(
        default_factory=lambda: DataLoader(load_fn=_seeker_profiles)
    )
    application_events_by_application_id: DataLoader[int, list[ApplicationHistoryRow]] = field(
        default_factory=lambda: DataLoader(load_fn=_application_events)
    )
    notes_by_application_id: DataLoader[int, list[models.ApplicationNote]] = field(
        default_factory=lambda: DataLoader(load_fn=_application_notes)
    )
    interviews_by_application_id: DataLoader[int, list[models.Interview]] = field(
        default_factory=lambda: DataLoader(load_fn=_interviews)
    )
    pending_establishment_change_by_establishment_id: DataLoader[
        int, models.EstablishmentChange | None
    ] = field(default_factory=lambda: DataLoader(load_fn=_pending_establishment_changes))
    registration_count_by_office_event_id: DataLoader[int, int] = field(
        default_factory=lambda: DataLoader(load_fn=_office_event_registration_counts)
    )
    registered_by_office_event_and_establishment: DataLoader[tuple[int, int], bool] = field(
        default_factory=lambda: DataLoader(load_fn=_office_event_registered)
    )
    approved_images_by_establishment_id: DataLoader[int, list[models.EstablishmentImage]] = field(
        default_factory=lambda: DataLoader(load_fn=_approved_images)
    )
    documents_by_application_id: DataLoader[int, list[models.ApplicationDocument]] = field(
        default_factory=lambda: DataLoader(load_fn=_documents)
    )
    person_by_application_id: DataLoader[int, Person | None] = field(init=False)
    """Set by the context: it depends on the viewer, and records each read."""
