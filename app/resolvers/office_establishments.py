"""The office's establishments as the counter looks them up (事業所検索): found by number,
name, kana or phone, each with its postings, applicants, logins and the decisions staff took
about it. Staff of the establishment's office only; anyone else sees nothing of these.

The list is in kana order (アイウエオ順, then id), as a counter's ledger is kept; the nested
lists newest first. Every list is a keyset page; its count runs only when asked for.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pypika_tortoise.terms import Function as SqlFunction
from tortoise.expressions import Function, Q
from tortoise.queryset import QuerySet

from app.errors import ErrorCode, UserErrors, user_error
from app.models import (
    Application,
    Establishment,
    EstablishmentChange,
    EstablishmentImage,
    Portal,
    Posting,
    PostingEvent,
    User,
)
from app.models.counter import EstablishmentPreRegistration, PreRegistrationStatus
from app.models.establishments import ReviewStatus
from app.models.postings import PostingAction, PostingStatus
from app.resolvers import validation
from app.resolvers.paging import (
    Page,
    Window,
    columns_page,
    empty_page,
    flip,
    merge_window,
    newest,
    past,
    window_page,
)
from app.viewer import Viewer

SEARCH_MAX_LENGTH = 100


def office_staff(viewer: Viewer, office_id: int) -> User | None:
    """The viewer, if staff of office `office_id`: the only one who sees an establishment's
    postings, applicants, logins and review history through it."""
    user = viewer.user
    if user is None or user.portal != Portal.STAFF or user.office_id != office_id:
        return None
    return user


# --- The search ---------------------------------------------------------------------------


class _Replace(SqlFunction):
    def __init__(self, term: Any, old: str, new: str, alias: str | None = None) -> None:
        super().__init__("REPLACE", term, old, new, alias=alias)


class _WithoutHyphens(Function):
    """A column's text without its hyphens (REPLACE in SQLite and PostgreSQL alike)."""

    database_func = _Replace


_NUMBER_LIKE = re.compile(r"^[\d\-\s]+$")
_HIRAGANA = re.compile(r"[\u3041-\u3096]")


def _katakana(text: str) -> str:
    """Hiragana as katakana (ひらがな → カタカナ), the rest unchanged."""
    return _HIRAGANA.sub(lambda match: chr(ord(match.group()) + 0x60), text)


def _number_prefix(digits: str) -> str:
    """The start of a 事業所番号 NNNN-NNNNNN-N that begins with `digits`."""
    return "-".join(part for part in (digits[:4], digits[4:10], digits[10:]) if part)


def search_filter(search: str) -> Q | None:
    """Who `search` finds: the name or kana holding it, and for digits (with or without
    hyphens) an establishment number starting with them or a phone number holding them.
    Full-width and half-width forms are one (NFKC), and hiragana finds the kana. None: every
    establishment."""
    text = search.strip()
    if not text:
        return None
    if len(text) > SEARCH_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG, f"検索語は{SEARCH_MAX_LENGTH}文字以内で入力してください。", "search"
        )
    folded = unicodedata.normalize("NFKC", text)
    found = (
        Q(name__icontains=text)
        | Q(name__icontains=folded)
        | Q(name_kana__icontains=_katakana(folded))
        | Q(name_kana__icontains=_katakana(text))
    )
    if _NUMBER_LIKE.match(folded):
        digits = validation.digits_only(folded)
        try:
            exact = validation.establishment_number("search", folded.replace(" ", ""))
        except UserErrors:  # not a whole number: the start of one
            exact = None
        if exact is not None:
            found |= Q(number=exact)
        elif len(digits) <= 11:
            found |= Q(number__startswith=_number_prefix(digits))
        found |= Q(phone_digits__contains=digits)
    return found


def _searched(office_id: int, search: str | None) -> QuerySet[Establishment]:
    query = Establishment.filter(office_id=office_id).annotate(
        phone_digits=_WithoutHyphens("phone_number", "-", "")
    )
    found = search_filter(search or "")
    return query if found is None else query.filter(found)


ESTABLISHMENT_ORDER = ("name_kana", "id")
"""The list's order: kana (アイウエオ順), then id; a position is an establishment's
`(name_kana, id)`."""

EstablishmentPosition = tuple[str, int]
"""Where an establishment stands in the list: its kana and id."""


def establishment_position(establishment: Establishment) -> EstablishmentPosition:
    return (establishment.name_kana, establishment.id)


async def office_establishments(
    viewer: Viewer, *, search: str | None, window: Window[EstablishmentPosition]
) -> Page[Establishment]:
    """Staff: the establishments of their office that `search` finds, in kana order; the
    page's count is the search's."""
    staff = viewer.require_staff()
    assert staff.office_id is not None
    return await columns_page(_searched(staff.office_id, search), window, order=ESTABLISHMENT_ORDER)


# --- Postings and applicants of one establishment -------------------------------------------


def _postings(establishment_id: int, statuses: Iterable[PostingStatus] | None) -> QuerySet[Posting]:
    """Every posting but the drafts the employer has not sent: staff see a draft only when
    staff entered it (from a paper 求人申込書)."""
    query = Posting.filter(establishment_id=establishment_id).filter(
        ~Q(status=PostingStatus.DRAFT) | Q(entered_by_id__isnull=False)
    )
    wanted = set(statuses) if statuses is not None else None
    return query if wanted is None else query.filter(status__in=list(wanted))


async def establishment_postings(
    viewer: Viewer,
    establishment_id: int,
    office_id: int,
    *,
    statuses: Iterable[PostingStatus] | None,
    window: Window[int],
) -> Page[Posting]:
    """Staff of its office: the establishment's postings, newest first."""
    if office_staff(viewer, office_id) is None:
        return empty_page()
    return await newest(_postings(establishment_id, statuses), window)


async def establishment_applications(
    viewer: Viewer, establishment_id: int, office_id: int, *, window: Window[int]
) -> Page[Application]:
    """Staff of its office: the applications to the establishment's postings, newest first."""
    if office_staff(viewer, office_id) is None:
        return empty_page()
    return await newest(Application.filter(establishment_id=establishment_id), window)


# --- Logins -------------------------------------------------------------------------------


async def logins_of(establishment_ids: Sequence[int]) -> list[list[User]]:
    """Per establishment, all its logins, active and closed, oldest first; in one query.
    Unchecked: the field that loads them shows them to its office's staff only."""
    found: dict[int, list[User]] = {i: [] for i in establishment_ids}
    rows = await User.filter(
        portal=Portal.EMPLOYER, establishment_id__in=list(establishment_ids)
    ).order_by("created_at", "id")
    for user in rows:
        assert user.establishment_id is not None
        found[user.establishment_id].append(user)
    return [found[i] for i in establishment_ids]


# --- Review history -----------------------------------------------------------------------


class ReviewHistoryAction(StrEnum):
    """A decision staff took about an establishment or one of its postings; the order of the
    members breaks ties between equal moments."""

    POSTING_ACCEPTED = "POSTING_ACCEPTED"
    """求人の受理 (posting accepted): the posting became active (有効中)."""
    POSTING_RETURNED = "POSTING_RETURNED"
    """修正依頼 (posting returned): sent back to the employer with a reason."""
    POSTING_CORRECTED = "POSTING_CORRECTED"
    """軽微な修正 (posting corrected): staff corrected minor points of a submitted posting, with a
    note the employer sees."""
    POSTING_COUNTER_CONFIRMED = "POSTING_COUNTER_CONFIRMED"
    """本登録 (confirmed at the counter): the employer came to the counter for a posting that
    needs it, and staff marked it done."""
    POSTING_CHANGE_ACCEPTED = "POSTING_CHANGE_ACCEPTED"
    """変更の受理 (change accepted): a change of an active posting took effect."""
    POSTING_CHANGE_RETURNED = "POSTING_CHANGE_RETURNED"
    """変更の修正依頼 (change returned): a change of an active posting was sent back."""
    POSTING_RENEWAL_ACCEPTED = "POSTING_RENEWAL_ACCEPTED"
    """更新の受理 (renewal accepted): a reserved renewal, active from the posting's deadline."""
    POSTING_RENEWAL_RETURNED = "POSTING_RENEWAL_RETURNED"
    """更新の差戻し (renewal returned): a reserved renewal refused; the posting ends at its
    deadline."""
    IMAGE_APPROVED = "IMAGE_APPROVED"
    """画像の承認 (image approved)."""
    IMAGE_REJECTED = "IMAGE_REJECTED"
    """画像の差戻し (image rejected), with a reason."""
    PROFILE_CHANGE_APPROVED = "PROFILE_CHANGE_APPROVED"
    """事業所情報の変更の承認 (profile change approved): the new profile is in use."""
    PROFILE_CHANGE_REJECTED = "PROFILE_CHANGE_REJECTED"
    """事業所情報の変更の差戻し (profile change rejected), with a reason."""
    PRE_REGISTRATION_CONFIRMED = "PRE_REGISTRATION_CONFIRMED"
    """仮登録の本登録 (pre-registration confirmed): the online entry (事業所の仮登録) became this
    establishment."""


_POSTING_DECISIONS = {
    PostingAction.ACCEPTED: ReviewHistoryAction.POSTING_ACCEPTED,
    PostingAction.RETURNED: ReviewHistoryAction.POSTING_RETURNED,
    PostingAction.CORRECTED: ReviewHistoryAction.POSTING_CORRECTED,
    PostingAction.COUNTER_CONFIRMED: ReviewHistoryAction.POSTING_COUNTER_CONFIRMED,
    PostingAction.CHANGE_ACCEPTED: ReviewHistoryAction.POSTING_CHANGE_ACCEPTED,
    PostingAction.CHANGE_RETURNED: ReviewHistoryAction.POSTING_CHANGE_RETURNED,
    PostingAction.RENEWAL_ACCEPTED: ReviewHistoryAction.POSTING_RENEWAL_ACCEPTED,
    PostingAction.RENEWAL_RETURNED: ReviewHistoryAction.POSTING_RENEWAL_RETURNED,
}


class HistorySource(StrEnum):
    """The table a history entry comes from; part of its place in the history."""

    POSTING_EVENT = "POSTING_EVENT"
    IMAGE = "IMAGE"
    PROFILE_CHANGE = "PROFILE_CHANGE"
    PRE_REGISTRATION = "PRE_REGISTRATION"


_RANK = {source: rank for rank, source in enumerate(HistorySource)}


@dataclass(frozen=True)
class HistoryPosition:
    """An entry's place in the history, newest first; a page continues after one."""

    at: dt.datetime
    source: HistorySource
    id: int

    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, _RANK[self.source], self.id)


@dataclass(frozen=True)
class ReviewHistoryEntry:
    position: HistoryPosition
    action: ReviewHistoryAction
    by_id: int | None
    """The staff member who decided."""
    reason: str
    posting_id: int | None


@dataclass(frozen=True)
class _Source:
    source: HistorySource
    query: QuerySet[Any]
    at: str
    """The field holding the moment of the decision."""


def _history_sources(establishment_id: int) -> list[_Source]:
    return [
        _Source(
            HistorySource.POSTING_EVENT,
            PostingEvent.filter(
                posting__establishment_id=establishment_id,
                action__in=list(_POSTING_DECISIONS),
            ),
            "created_at",
        ),
        _Source(
            HistorySource.IMAGE,
            EstablishmentImage.filter(
                establishment_id=establishment_id,
                status__in=[ReviewStatus.APPROVED, ReviewStatus.REJECTED],
                reviewed_at__isnull=False,
            ),
            "reviewed_at",
        ),
        _Source(
            HistorySource.PROFILE_CHANGE,
            EstablishmentChange.filter(
                establishment_id=establishment_id,
                status__in=[ReviewStatus.APPROVED, ReviewStatus.REJECTED],
                reviewed_at__isnull=False,
            ),
            "reviewed_at",
        ),
        _Source(
            HistorySource.PRE_REGISTRATION,
            EstablishmentPreRegistration.filter(
                establishment_id=establishment_id,
                status=PreRegistrationStatus.CONFIRMED,
                reviewed_at__isnull=False,
            ),
            "reviewed_at",
        ),
    ]


def _past(source: _Source, position: HistoryPosition, *, newer: bool) -> Q:
    """The source's entries past `position` in the history: after it (older, the history
    being newest first), or before it (newer) when `newer`."""
    # SQLite compares the stored text, so compare in UTC, as stored.
    at = position.at.astimezone(dt.UTC)
    rank, position_rank = _RANK[source.source], _RANK[position.source]
    order: tuple[str, ...] = (f"-{source.at}", "-id")
    if newer:
        order = flip(order)
    if rank == position_rank:
        return past(order, (at, position.id))
    # Another source at the same moment comes first or later by its rank alone.
    ahead = rank < position_rank if not newer else rank > position_rank
    op = ("lte" if ahead else "lt") if not newer else ("gte" if ahead else "gt")
    bound: dict[str, Any] = {f"{source.at}__{op}": at}
    return Q(**bound)


def _entry(source: HistorySource, row: Any) -> ReviewHistoryEntry:
    if isinstance(row, PostingEvent):
        return ReviewHistoryEntry(
            HistoryPosition(row.created_at, source, row.id),
            _POSTING_DECISIONS[row.action],
            row.actor_id,
            row.reason or "",
            row.posting_id,
        )
    if isinstance(row, EstablishmentPreRegistration):
        assert row.reviewed_at is not None
        return ReviewHistoryEntry(
            HistoryPosition(row.reviewed_at, source, row.id),
            ReviewHistoryAction.PRE_REGISTRATION_CONFIRMED,
            row.reviewed_by_id,
            row.review_note,
            None,
        )
    approved = row.status is ReviewStatus.APPROVED
    if isinstance(row, EstablishmentImage):
        action = (
            ReviewHistoryAction.IMAGE_APPROVED if approved else ReviewHistoryAction.IMAGE_REJECTED
        )
    else:
        action = (
            ReviewHistoryAction.PROFILE_CHANGE_APPROVED
            if approved
            else ReviewHistoryAction.PROFILE_CHANGE_REJECTED
        )
    return ReviewHistoryEntry(
        HistoryPosition(row.reviewed_at, source, row.id),
        action,
        row.reviewed_by_id,
        row.review_reason,
        None,
    )


async def review_history(
    viewer: Viewer,
    establishment_id: int,
    office_id: int,
    *,
    window: Window[HistoryPosition],
) -> Page[ReviewHistoryEntry]:
    """Staff of its office: the decisions taken about the establishment, newest first —
    its postings accepted, returned, corrected, confirmed at the counter (changes and
    renewals too), its images and profile changes reviewed, its pre-registration confirmed."""
    if office_staff(viewer, office_id) is None:
        return empty_page()
    pages: list[Page[ReviewHistoryEntry]] = []
    for source in _history_sources(establishment_id):
        page = await window_page(
            source.query,
            Window(
                size=window.size,
                after=None if window.after is None else _past(source, window.after, newer=False),
                before=None if window.before is None else _past(source, window.before, newer=True),
                backward=window.backward,
            ),
            order=(f"-{source.at}", "-id"),
        )
        pages.append(
            Page(
                items=[_entry(source.source, row) for row in page.items],
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                count=page.count,
            )
        )
    # Newest first: the merge sorts ascending, so on the key's negation.
    return merge_window(pages, window, key=_newest_first_key)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _newest_first_key(entry: ReviewHistoryEntry) -> tuple[int, int, int]:
    at, rank, entry_id = entry.position.key()
    return (-((at - _EPOCH) // dt.timedelta(microseconds=1)), -rank, -entry_id)
