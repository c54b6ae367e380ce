"""Internal notes (社内メモ) on an application, written and read by the logins of the
establishment applied to; never shown to the seeker or to staff.

Any login of the establishment may edit or delete any of its notes: the note keeps who wrote
it and who changed it last. To anyone else a note, and the application it is on, look absent.
"""

from __future__ import annotations

from app.errors import ErrorCode, NotAuthenticated, UserErrors, user_error
from app.models import Application, ApplicationNote, Portal, User
from app.resolvers import validation
from app.runtime import Runtime
from app.viewer import Viewer

BODY_MAX_LENGTH = 2000


# As for messages: line breaks and tabs are kept; other control characters are refused.
def _body(body: str) -> str:
    return validation.plain_text("body", body, "メモ", BODY_MAX_LENGTH, required=True)


def _application_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_id")


def _note_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "メモが見つかりません。", "note_id")


def _establishment_login(viewer: Viewer) -> User | None:
    """The viewer if a login of an establishment; None for a seeker or staff."""
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    if user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        return user
    return None


async def _own_note(viewer: Viewer, note_id: int) -> tuple[User, ApplicationNote]:
    user = _establishment_login(viewer)
    note = (
        None
        if user is None
        else await ApplicationNote.get_or_none(
            id=note_id, application__establishment_id=user.establishment_id
        )
    )
    if user is None or note is None:
        raise _note_not_found()
    return user, note


async def add_note(
    rt: Runtime, viewer: Viewer, *, application_id: int, body: str
) -> ApplicationNote:
    """Write a note on an application to the viewer's establishment."""
    user = _establishment_login(viewer)
    if user is None or not await Application.exists(
        id=application_id, establishment_id=user.establishment_id
    ):
        raise _application_not_found()
    text = _body(body)
    now = rt.clock.now()
    return await ApplicationNote.create(
        application_id=application_id,
        author_id=user.id,
        body=text,
        created_at=now,
        updated_at=now,
    )


async def edit_note(rt: Runtime, viewer: Viewer, *, note_id: int, body: str) -> ApplicationNote:
    """Replace a note's text, recording who changed it."""
    user, note = await _own_note(viewer, note_id)
    text = _body(body)
    now = rt.clock.now()
    if not await ApplicationNote.filter(id=note.id).update(
        body=text, updated_at=now, updated_by_id=user.id
    ):
        raise _note_not_found()  # deleted meanwhile by another login
    note.body, note.updated_at, note.updated_by_id = text, now, user.id
    return note


async def delete_note(rt: Runtime, viewer: Viewer, *, note_id: int) -> ApplicationNote:
    """Remove a note for good; the note as it was."""
    _, note = await _own_note(viewer, note_id)
    if not await ApplicationNote.filter(id=note.id).delete():
        raise _note_not_found()  # deleted meanwhile by another login
    return note


async def notes_of(viewer: Viewer, application_id: int) -> list[ApplicationNote]:
    """The notes on an application to the viewer's establishment, newest first; none for
    anyone else."""
    user = _establishment_login(viewer)
    if user is None:
        return []
    return await ApplicationNote.filter(
        application_id=application_id, application__establishment_id=user.establishment_id
    ).order_by("-id")


async def visible_notes(viewer: Viewer, ids: list[int]) -> dict[int, ApplicationNote]:
    """The notes among `ids` on applications to the viewer's establishment."""
    user = _establishment_login(viewer) if viewer.is_authenticated else None
    if user is None:
        return {}
    found = await ApplicationNote.filter(
        id__in=ids, application__establishment_id=user.establishment_id
    )
    return {note.id: note for note in found}
