"""The work tools of the selection (応募者管理) on one application: its internal notes
(社内メモ) and its interviews (面接), with their mutations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.models.accounts import Portal
from app.resolvers import application_notes, interviews
from app.resolvers.interviews import InterviewChange
from app.schema.accounts import EmployerLogin
from app.schema.context import Info
from app.schema.errors import ERRORS, UserError, run_change, user_errors
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.permissions import IsAuthenticated, IsEmployer

NOTE_TYPE = "ApplicationNote"
INTERVIEW_TYPE = "Interview"

describe.enum(InterviewChange, description="面接の変更 (what happened to an interview).")


async def _login(info: Info, user_id: int | None) -> EmployerLogin | None:
    """A login as its own establishment sees it; null to anyone else."""
    viewer = info.context.viewer.user
    if user_id is None or viewer is None or viewer.establishment_id is None:
        return None
    user = await info.context.loaders.user_by_id.load(user_id)
    if user is None or user.establishment_id != viewer.establishment_id:
        return None
    return EmployerLogin.from_model(user, viewer_id=viewer.id, now=info.context.rt.clock.now())


@strawberry.type(
    description="社内メモ: an internal note on an application, for the logins of the "
    "establishment applied to; never shown to the seeker or to staff."
)
class ApplicationNote(relay.Node):
    id: relay.NodeID[int]
    body: str = strawberry.field(description="Plain text, up to 2000 characters.")
    created_at: dt.datetime = strawberry.field(description="作成日時 (written at).")
    updated_at: dt.datetime = strawberry.field(
        description="更新日時 (last edited at); `createdAt` until edited."
    )
    author_id: strawberry.Private[int]
    updated_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, note: models.ApplicationNote) -> Self:
        return cls(
            id=note.id,
            body=note.body,
            created_at=note.created_at,
            updated_at=note.updated_at,
            author_id=note.author_id,
            updated_by_id=note.updated_by_id,
        )

    @strawberry.field(description="The login who wrote it (after its removal, as it was).")
    async def author(self, info: Info) -> EmployerLogin | None:
        return await _login(info, self.author_id)

    @strawberry.field(description="The login who edited it last; null until edited.")
    async def updated_by(self, info: Info) -> EmployerLogin | None:
        return await _login(info, self.updated_by_id)

    @strawberry.field(description="Written by the viewer's own login.")
    def authored_by_me(self, info: Info) -> bool:
        viewer = info.context.viewer.user
        return viewer is not None and viewer.id == self.author_id

    resolve_nodes = visible_to_viewer(application_notes.visible_notes)


@strawberry.type(
    description="面接: an interview of an applicant, at a place or online; a cancelled one "
    "stays, with when and why. Seen by the establishment's employers, the applicant and "
    "staff of the establishment's office."
)
class Interview(relay.Node):
    id: relay.NodeID[int]
    starts_at: dt.datetime = strawberry.field(description="面接日時.")
    duration_minutes: int = strawberry.field(description="所要時間, 1 to 480 minutes.")
    place: str = strawberry.field(description="会場; empty for an interview online only.")
    online_url: str = strawberry.field(
        description="オンライン面接のURL (https); empty for one at a place only."
    )
    note: str = strawberry.field(description="連絡事項 to the applicant (持ち物等).")
    cancelled_at: dt.datetime | None = strawberry.field(description="Null unless cancelled.")
    cancel_reason: str = strawberry.field(
        description="取消の理由, told to the applicant; empty unless cancelled with a reason."
    )
    created_at: dt.datetime = strawberry.field(description="設定日時 (when it was set).")

    @classmethod
    def from_model(cls, interview: models.Interview) -> Self:
        return cls(
            id=interview.id,
            starts_at=interview.starts_at,
            duration_minutes=interview.duration_minutes,
            place=interview.place,
            online_url=interview.online_url,
            note=interview.note,
            cancelled_at=interview.cancelled_at,
            cancel_reason=interview.cancel_reason,
            created_at=interview.created_at,
        )

    resolve_nodes = visible_to_viewer(interviews.visible_interviews)


# --- For `Application.notes` and `Application.interviews` ---------------------------------


async def notes_of_application(
    info: Info, *, application_id: int, establishment_id: int
) -> list[ApplicationNote]:
    """The notes of an application to `establishment_id`, newest first, for that
    establishment's logins; empty for anyone else."""
    viewer = info.context.viewer.user
    if viewer is None or viewer.portal != Portal.EMPLOYER:
        return []
    if viewer.establishment_id != establishment_id:
        return []
    notes = await info.context.loaders.notes_by_application_id.load(application_id)
    return [ApplicationNote.from_model(note) for note in notes]


async def interviews_of_application(info: Info, application_id: int) -> list[Interview]:
    """The interviews of an application the viewer sees, soonest first."""
    found = await info.context.loaders.interviews_by_application_id.load(application_id)
    return [Interview.from_model(interview) for interview in found]


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(description="社内メモの追加 (a new internal note).")
class ApplicationNoteAddInput:
    application_id: relay.GlobalID = strawberry.field(
        description="An application to the viewer's establishment."
    )
    body: str = strawberry.field(description="Plain text, 1 to 2000 characters once trimmed.")


@strawberry.input(description="社内メモの編集 (a note's new text).")
class ApplicationNoteEditInput:
    note_id: relay.GlobalID = strawberry.field(description="Any note of the establishment.")
    body: str = strawberry.field(description="The new text, 1 to 2000 characters.")


@strawberry.input(description="社内メモの削除 (the note to delete).")
class ApplicationNoteDeleteInput:
    note_id: relay.GlobalID = strawberry.field(description="Any note of the establishment.")


@strawberry.input(
    description="面接の設定 (an interview to set): when, how long, and at a place or online."
)
class InterviewScheduleInput:
    application_id: relay.GlobalID = strawberry.field(
        description="An application to the viewer's establishment under selection (APPLIED, "
        "SCREENING or INTERVIEW)."
    )
    starts_at: dt.datetime = strawberry.field(
        description="面接日時, in the future, with its offset (2026-12-01T14:00:00+09:00)."
    )
    duration_minutes: int = strawberry.field(description="所要時間, 1 to 480 minutes.")
    place: str = strawberry.field(
        default="", description="会場, up to 200 characters; this or `onlineUrl` or both."
    )
    online_url: str = strawberry.field(
        default="", description="オンライン面接のURL: https, up to 500 characters."
    )
    note: str = strawberry.field(
        default="", description="連絡事項 to the applicant (持ち物等), up to 1000 characters."
    )


@strawberry.input(description="面接の取消 (an interview to cancel) and why.")
class InterviewCancelInput:
    interview_id: relay.GlobalID = strawberry.field(
        description="An interview of the establishment not cancelled yet."
    )
    reason: str = strawberry.field(
        default="", description="取消の理由, told to the applicant; up to 500 characters."
    )


@strawberry.type(description="The answer to `applicationNoteAdd`.")
class ApplicationNoteAddPayload:
    note: ApplicationNote | None = strawberry.field(
        default=None, description="The note written; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `applicationNoteEdit`.")
class ApplicationNoteEditPayload:
    note: ApplicationNote | None = strawberry.field(
        default=None, description="The note as edited; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `applicationNoteDelete`.")
class ApplicationNoteDeletePayload:
    deleted_note_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of the note, now gone; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


_MESSAGE_SENT = (
    "The applicant was told by message; false for a person without a My Page (the employer "
    "contacts them by phone or mail) or whose My Page is closed, and when `errors` is not empty."
)


@strawberry.type(description="The answer to `interviewSchedule`.")
class InterviewSchedulePayload:
    interview: Interview | None = strawberry.field(
        default=None, description="The interview set; null on errors."
    )
    message_sent: bool = strawberry.field(default=False, description=_MESSAGE_SENT)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `interviewCancel`.")
class InterviewCancelPayload:
    interview: Interview | None = strawberry.field(
        default=None, description="The interview, now cancelled; null on errors."
    )
    message_sent: bool = strawberry.field(default=False, description=_MESSAGE_SENT)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


def _note_id(global_id: relay.GlobalID) -> int:
    return decode_id(global_id, NOTE_TYPE, "noteId")


@strawberry.type
class InterviewMutation:
    @strawberry.mutation(
        description="Employer: write an internal note on an application (社内メモ).",
        permission_classes=[IsAuthenticated],
    )
    async def application_note_add(
        self,
        info: Info,
        input: Annotated[
            ApplicationNoteAddInput,
            strawberry.argument(description="The application and the note's text."),
        ],
    ) -> ApplicationNoteAddPayload:
        ctx = info.context
        return await run_change(
            ApplicationNoteAddPayload,
            lambda: application_notes.add_note(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                body=input.body,
            ),
            "note",
            ApplicationNote.from_model,
        )

    @strawberry.mutation(
        description="Employer: replace the text of any note of the establishment.",
        permission_classes=[IsAuthenticated],
    )
    async def application_note_edit(
        self,
        info: Info,
        input: Annotated[
            ApplicationNoteEditInput, strawberry.argument(description="The note and its new text.")
        ],
    ) -> ApplicationNoteEditPayload:
        ctx = info.context
        return await run_change(
            ApplicationNoteEditPayload,
            lambda: application_notes.edit_note(
                ctx.rt, ctx.viewer, note_id=_note_id(input.note_id), body=input.body
            ),
            "note",
            ApplicationNote.from_model,
        )

    @strawberry.mutation(
        description="Employer: delete any note of the establishment for good.",
        permission_classes=[IsAuthenticated],
    )
    async def application_note_delete(
        self,
        info: Info,
        input: Annotated[
            ApplicationNoteDeleteInput, strawberry.argument(description="The note to delete.")
        ],
    ) -> ApplicationNoteDeletePayload:
        ctx = info.context
        return await run_change(
            ApplicationNoteDeletePayload,
            lambda: application_notes.delete_note(
                ctx.rt, ctx.viewer, note_id=_note_id(input.note_id)
            ),
            "deleted_note_id",
            lambda note: strawberry.ID(relay.to_base64(NOTE_TYPE, note.id)),
        )

    @strawberry.mutation(
        description="Employer: set an interview (面接) of an applicant under selection; an "
        "applicant with a My Page is told the date, time, place or link and the note by "
        "message. The application's status does not change.",
        permission_classes=[IsEmployer],
    )
    async def interview_schedule(
        self,
        info: Info,
        input: Annotated[
            InterviewScheduleInput,
            strawberry.argument(description="The application and the interview."),
        ],
    ) -> InterviewSchedulePayload:
        ctx = info.context
        try:
            changed = await interviews.schedule_interview(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                starts_at=input.starts_at,
                duration_minutes=input.duration_minutes,
                place=input.place,
                online_url=input.online_url,
                note=input.note,
            )
        except UserErrors as exc:
            return InterviewSchedulePayload(errors=user_errors(exc))
        return InterviewSchedulePayload(
            interview=Interview.from_model(changed.interview), message_sent=changed.message_sent
        )

    @strawberry.mutation(
        description="Employer: cancel an interview; an applicant with a My Page is told by "
        "message, with the reason.",
        permission_classes=[IsEmployer],
    )
    async def interview_cancel(
        self,
        info: Info,
        input: Annotated[
            InterviewCancelInput,
            strawberry.argument(description="The interview and why it is cancelled."),
        ],
    ) -> InterviewCancelPayload:
        ctx = info.context
        try:
            changed = await interviews.cancel_interview(
                ctx.rt,
                ctx.viewer,
                interview_id=decode_id(input.interview_id, INTERVIEW_TYPE, "interviewId"),
                reason=input.reason,
            )
        except UserErrors as exc:
            return InterviewCancelPayload(errors=user_errors(exc))
        return InterviewCancelPayload(
            interview=Interview.from_model(changed.interview), message_sent=changed.message_sent
        )
