"""Dataloaders, built per request so that no cache outlives its viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, Generic, TypedDict, TypeVar, overload

from strawberry.dataloader import DataLoader
from tortoise.expressions import Subquery
from tortoise.functions import Count, Max

from app import models
from app.db import PreparedIn
from app.models.accounts import Portal
from app.models.applications import ApplicationStatus
from app.models.establishments import ReviewStatus
from app.models.messages import MessageSender
from app.models.postings import PostingAction, PostingStatus
from app.resolvers import documents, images, postings
from app.resolvers.applicants import Person

K = TypeVar("K")
V = TypeVar("V")


# The reads of the loaders every page and delivery asks, by SQL built once (`PreparedIn`).
_OFFICES = PreparedIn(lambda ids: models.Office.filter(id__in=ids))
_USERS = PreparedIn(lambda ids: models.User.filter(id__in=ids))
_ESTABLISHMENTS = PreparedIn(lambda ids: models.Establishment.filter(id__in=ids))
_POSTINGS = PreparedIn(lambda ids: models.Posting.filter(id__in=ids))
_THREADS = PreparedIn(lambda ids: models.MessageThread.filter(id__in=ids))


async def _offices(ids: Sequence[int]) -> list[models.Office]:
    by_id = {office.id: office for office in await _OFFICES(ids)}
    return [by_id[i] for i in ids]


async def _users(ids: Sequence[int]) -> list[models.User | None]:
    by_id = {user.id: user for user in await _USERS(ids)}
    return [by_id.get(i) for i in ids]


async def _establishments(ids: Sequence[int]) -> list[models.Establishment]:
    by_id = {establishment.id: establishment for establishment in await _ESTABLISHMENTS(ids)}
    return [by_id[i] for i in ids]


PostingKey = tuple[int, frozenset[str] | None]
"""A posting's id and the items of its form to read (None: every column; `Loaders.posting`)."""


async def _postings(keys: Sequence[PostingKey]) -> list[models.Posting]:
    """The postings of one batch in one statement: every column when one of its loads asks
    for all, else the postings' own columns and the items any of them asks for."""
    ids = list(dict.fromkeys(posting_id for posting_id, _ in keys))
    some = [items for _, items in keys if items is not None]
    if len(some) < len(keys):
        found = await _POSTINGS(ids)
    else:
        found = await postings.postings_with_items(ids, frozenset[str]().union(*some))
    by_id = {posting.id: posting for posting in found}
    return [by_id[posting_id] for posting_id, _ in keys]


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


def _history_read(
    model: type[models.PostingEvent | models.ApplicationEvent], key: str, row_type: type[Any]
) -> PreparedIn[dict[str, Any]]:
    """The history rows (the fields of `row_type`) of the ids of `key`, oldest first, with the
    portal of who acted: one query, no model built."""
    fields = sorted(row_type.__annotations__.keys() - {"actor_portal"})
    return PreparedIn(
        lambda ids: (
            model.filter(**{f"{key}__in": ids})
            .order_by("id")
            .values(*fields, actor_portal="actor__portal")
        )
    )


_POSTING_HISTORY = _history_read(models.PostingEvent, "posting_id", PostingHistoryRow)


async def _histories(
    read: PreparedIn[dict[str, Any]], key: str, ids: Sequence[int]
) -> list[list[Any]]:
    """Per id, its rows of `read` (by `key`), in their order."""
    history: dict[int, list[Any]] = {i: [] for i in ids}
    for row in await read(ids):
        history[row[key]].append(row)
    return [history[i] for i in ids]


async def _posting_events(posting_ids: Sequence[int]) -> list[list[PostingHistoryRow]]:
    """The history of each posting, oldest first, with who acted."""
    return await _histories(_POSTING_HISTORY, "posting_id", posting_ids)


# --- Messages -------------------------------------------------------------------------------


async def _message_threads(ids: Sequence[int]) -> list[models.MessageThread]:
    by_id = {thread.id: thread for thread in await _THREADS(ids)}
    return [by_id[i] for i in ids]


_NEWEST_MESSAGES = PreparedIn(
    lambda thread_ids: models.Message.filter(
        id__in=Subquery(
            models.Message.filter(thread_id__in=thread_ids)
            .annotate(newest_id=Max("id"))
            .group_by("thread_id")
            .values("newest_id")
        )
    )
)


async def _last_messages(thread_ids: Sequence[int]) -> list[models.Message | None]:
    """The newest message of each thread (ids grow with time), in one statement."""
    by_thread = {message.thread_id: message for message in await _NEWEST_MESSAGES(thread_ids)}
    return [by_thread.get(i) for i in thread_ids]


_UNREAD_COUNTS: PreparedIn[dict[str, Any]] = PreparedIn(
    lambda thread_ids: (
        models.Message.filter(thread_id__in=thread_ids, read_at__isnull=True)
        .annotate(unread=Count("id"))
        .group_by("thread_id", "sender")
        .values("thread_id", "sender", "unread")
    )
)


async def _unread_message_counts(keys: Sequence[tuple[int, MessageSender]]) -> list[int]:
    """Per (thread, sender): how many of that sender's messages the other side has not read."""
    rows = await _UNREAD_COUNTS(list({thread_id for thread_id, _ in keys}))
    counts = {(row["thread_id"], MessageSender(row["sender"])): row["unread"] for row in rows}
    return [counts.get(key, 0) for key in keys]


class RelationRow(TypedDict):
    """What lets an establishment and a seeker talk, as a thread shows it: an application or a
    request, with its posting's number and title (a row, not models: a page of threads reads
    one or more per thread, and a model with its posting's 91 columns each cost more than the
    query)."""

    application: bool
    """An application (else a request from the establishment)."""
    id: int
    created_at: dt.datetime
    posting_number: str | None
    job_title: str


async def _conversation_relations(pairs: Sequence[tuple[int, int]]) -> list[list[RelationRow]]:
    """Per (establishment, seeker): the applications and requests that let them talk, oldest
    first; a request before the application that answers it, even in one instant."""
    establishment_ids = list({establishment_id for establishment_id, _ in pairs})
    seeker_ids = list({seeker_id for _, seeker_id in pairs})
    found: dict[tuple[int, int], list[RelationRow]] = {pair: [] for pair in pairs}
    for model in (models.Application, models.SeekerRequest):
        rows = await model.filter(
            posting__establishment_id__in=establishment_ids, seeker_id__in=seeker_ids
        ).values(
            "id",
            "created_at",
            "seeker_id",
            establishment_id="posting__establishment_id",
            posting_number="posting__posting_number",
            job_title="posting__job_title",
        )
        application = model is models.Application
        for row in rows:
            if (pair := (row["establishment_id"], row["seeker_id"])) in found:
                found[pair].append(
                    RelationRow(
                        application=application,
                        id=row["id"],
                        created_at=row["created_at"],
                        posting_number=row["posting_number"],
                        job_title=row["job_title"],
                    )
                )
    return [
        sorted(found[pair], key=lambda r: (r["created_at"], r["application"], r["id"]))
        for pair in pairs
    ]


# --- Seekers and applications ---------------------------------------------------------------


_SEEKER_PROFILES = PreparedIn(lambda user_ids: models.SeekerProfile.filter(user_id__in=user_ids))


async def _seeker_profiles(user_ids: Sequence[int]) -> list[models.SeekerProfile | None]:
    found = await _SEEKER_PROFILES(user_ids)
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


_APPLICATION_HISTORY = _history_read(
    models.ApplicationEvent, "application_id", ApplicationHistoryRow
)


async def _application_events(
    application_ids: Sequence[int],
) -> list[list[ApplicationHistoryRow]]:
    """The status history of each application, oldest first, with who acted."""
    return await _histories(_APPLICATION_HISTORY, "application_id", application_ids)


_NOTES = PreparedIn(
    lambda ids: models.ApplicationNote.filter(application_id__in=ids).order_by("-id")
)


async def _application_notes(
    application_ids: Sequence[int],
) -> list[list[models.ApplicationNote]]:
    """The internal notes of each application, newest first. Unchecked: the field that loads
    them shows them only to the establishment's logins."""
    notes: dict[int, list[models.ApplicationNote]] = {i: [] for i in application_ids}
    for note in await _NOTES(application_ids):
        notes[note.application_id].append(note)
    return [notes[i] for i in application_ids]


_INTERVIEWS = PreparedIn(
    lambda ids: models.Interview.filter(application_id__in=ids).order_by("starts_at", "id")
)


async def _interviews(application_ids: Sequence[int]) -> list[list[models.Interview]]:
    """The interviews of each application, soonest first, cancelled ones included."""
    interviews: dict[int, list[models.Interview]] = {i: [] for i in application_ids}
    for interview in await _INTERVIEWS(application_ids):
        interviews[interview.application_id].append(interview)
    return [interviews[i] for i in application_ids]


# --- Establishments --------------------------------------------------------------------------


_PENDING_CHANGES = PreparedIn(
    lambda ids: models.EstablishmentChange.filter(
        establishment_id__in=ids, status=ReviewStatus.PENDING
    ).order_by("id")
)


async def _pending_establishment_changes(
    establishment_ids: Sequence[int],
) -> list[models.EstablishmentChange | None]:
    """The change waiting for review of each establishment (at most one waits)."""
    found = await _PENDING_CHANGES(establishment_ids)
    by_establishment = {change.establishment_id: change for change in found}
    return [by_establishment.get(i) for i in establishment_ids]


# --- Office events ------------------------------------------------------------------------------


_REGISTRATION_COUNTS: PreparedIn[dict[str, Any]] = PreparedIn(
    lambda ids: (
        models.OfficeEventInterest.filter(event_id__in=ids)
        .annotate(taken=Count("id"))
        .group_by("event_id")
        .values("event_id", "taken")
    )
)


async def _office_event_registration_counts(event_ids: Sequence[int]) -> list[int]:
    """How many establishments registered for each event, in one statement."""
    rows = await _REGISTRATION_COUNTS(event_ids)
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


class _Loader(Generic[K, V]):
    """A dataloader of `Loaders`, built on its first use in a request: most requests use a few
    of them, and an idle WebSocket none (all of them built up front were about 8 KB for each
    open dashboard). Once built it is an attribute of the instance, read without this."""

    def __init__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self._load_fn = load_fn
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> _Loader[K, V]: ...
    @overload
    def __get__(self, instance: Loaders, owner: type) -> DataLoader[K, V]: ...
    def __get__(self, instance: Loaders | None, owner: type) -> _Loader[K, V] | DataLoader[K, V]:
        if instance is None:
            return self
        loader = DataLoader(load_fn=self._load_fn)
        instance.__dict__[self._name] = loader
        return loader


class Loaders:
    """The dataloaders of one request (or of one WebSocket, dropped around each delivery),
    each built when first used."""

    office_by_id = _Loader[int, models.Office](_offices)
    user_by_id = _Loader[int, models.User | None](_users)
    establishment_by_id = _Loader[int, models.Establishment](_establishments)
    posting_events_by_posting_id = _Loader[int, list[PostingHistoryRow]](_posting_events)
    posting_by_id = _Loader[PostingKey, models.Posting](_postings)
    message_thread_by_id = _Loader[int, models.MessageThread](_message_threads)
    last_message_by_thread_id = _Loader[int, models.Message | None](_last_messages)
    unread_count_by_thread_and_sender = _Loader[tuple[int, MessageSender], int](
        _unread_message_counts
    )
    conversation_relations_by_pair = _Loader[tuple[int, int], list[RelationRow]](
        _conversation_relations
    )
    seeker_profile_by_user_id = _Loader[int, models.SeekerProfile | None](_seeker_profiles)
    application_events_by_application_id = _Loader[int, list[ApplicationHistoryRow]](
        _application_events
    )
    notes_by_application_id = _Loader[int, list[models.ApplicationNote]](_application_notes)
    interviews_by_application_id = _Loader[int, list[models.Interview]](_interviews)
    pending_establishment_change_by_establishment_id = _Loader[
        int, models.EstablishmentChange | None
    ](_pending_establishment_changes)
    registration_count_by_office_event_id = _Loader[int, int](_office_event_registration_counts)
    registered_by_office_event_and_establishment = _Loader[tuple[int, int], bool](
        _office_event_registered
    )
    approved_images_by_establishment_id = _Loader[int, list[models.EstablishmentImage]](
        _approved_images
    )
    documents_by_application_id = _Loader[int, list[models.ApplicationDocument]](_documents)

    read_persons: Callable[[list[int]], Awaitable[list[Person | None]]]
    """Set by the context: who applied depends on who asks, and each read is recorded."""

    @cached_property
    def person_by_application_id(self) -> DataLoader[int, Person | None]:
        return DataLoader(load_fn=self.read_persons)

    def posting(
        self, posting_id: int, items: frozenset[str] | None = None
    ) -> Awaitable[models.Posting]:
        """The posting, with every column, or (given `items`) with its own columns and at
        least those items of its form: a partial model, for what reads no other item."""
        return self.posting_by_id.load((posting_id, items))

    def forget(self) -> None:
        """Drop the dataloaders built so far, their caches and last batches with them: the
        next use builds an empty one. A WebSocket's are dropped around each delivery, so that
        an open dashboard neither answers from rows read for an earlier event nor keeps them
        (and their models) alive until its next one."""
        for name, value in list(vars(self).items()):
            if isinstance(value, DataLoader):
                del self.__dict__[name]
