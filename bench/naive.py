"""The naive baseline: the obvious Strawberry implementation of the benchmark's pages.

Types mirror the service's field names, so the same documents run against both. Every
relation is read where it is used, one row at a time (no dataloaders, no caches), results go
out through Strawberry's default `json`, and bcrypt runs on the event loop: the code a first
version of the service would have had.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import bcrypt
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.functions import Sum

from app import models
from app.db import tortoise_config
from app.models.messages import MessageSender
from app.models.postings import PostingCategory, PostingStatus
from app.resolvers.accounts import DEVICE_PURPOSE, SESSION_PURPOSE
from app.security import keyed_hash
from app.settings import Settings


def _global_id(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{row_id}".encode()).decode())


def _cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode()


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CategorySummary:
    category: str
    posting_count: int
    hiring_count: int


@strawberry.type
class EmployerHome:
    establishment_name: str
    office_name: str
    unread_message_count: int
    active_postings: list[CategorySummary]


@strawberry.type
class PostingContent:
    job_title: str
    category: str
    work_style: str
    number_to_hire: int
    base_wage_min: int
    base_wage_max: int


@strawberry.type
class PostingEvent:
    action: str
    actor_portal: str | None


@strawberry.type
class Posting:
    model: strawberry.Private[models.Posting]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return _global_id("Posting", self.model.id)

    @strawberry.field
    def status(self) -> str:
        return self.model.status.value

    @strawberry.field
    def posting_number(self) -> str | None:
        return self.model.posting_number

    @strawberry.field
    def referral_deadline(self) -> dt.date | None:
        return self.model.referral_deadline

    @strawberry.field
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field
    def content(self) -> PostingContent:
        p = self.model
        return PostingContent(
            job_title=p.job_title,
            category=p.category.value,
            work_style=p.work_style.value,
            number_to_hire=p.number_to_hire,
            base_wage_min=p.base_wage_min,
            base_wage_max=p.base_wage_max,
        )

    @strawberry.field
    async def history(self) -> list[PostingEvent]:
        events = await models.PostingEvent.filter(posting_id=self.model.id).order_by("id")
        result = []
        for event in events:
            actor = await models.User.get_or_none(id=event.actor_id) if event.actor_id else None
            result.append(
                PostingEvent(
                    action=event.action.value, actor_portal=actor.portal.value if actor else None
                )
            )
        return result


@strawberry.type
class PostingEdge:
    cursor: str
    node: Posting


@strawberry.type
class PostingConnection:
    page_info: PageInfo
    edges: list[PostingEdge]


@strawberry.type
class ApplicantProfile:
    profile_id: strawberry.ID
    desired_job: str
    desired_prefecture: str
    experience: str


@strawberry.type
class ApplicationStatusChange:
    actor_portal: str | None
    at: dt.datetime
    from_status: str | None
    to_status: str
    reason: str


@strawberry.type
class Application:
    model: strawberry.Private[models.Application]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return _global_id("Application", self.model.id)

    @strawberry.field
    def status(self) -> str:
        return self.model.status.value

    @strawberry.field
    def source(self) -> str:
        return self.model.source.value

    @strawberry.field
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field
    async def applicant(self) -> ApplicantProfile:
        profile = await models.SeekerProfile.get(user_id=self.model.seeker_id)
        return ApplicantProfile(
            profile_id=_global_id("SeekerProfile", profile.id),
            desired_job=profile.desired_job,
            desired_prefecture=profile.desired_prefecture,
            experience=profile.experience,
        )

    @strawberry.field
    async def posting(self) -> Posting:
        return Posting(model=await models.Posting.get(id=self.model.posting_id))

    @strawberry.field
    async def status_history(self) -> list[ApplicationStatusChange]:
        events = await models.ApplicationEvent.filter(application_id=self.model.id).order_by("id")
        result = []
        for event in events:
            actor = await models.User.get_or_none(id=event.actor_id) if event.actor_id else None
            result.append(
                ApplicationStatusChange(
                    actor_portal=actor.portal.value if actor else None,
                    at=event.at,
                    from_status=event.from_status.value if event.from_status else None,
                    to_status=event.to_status.value,
                    reason=event.reason,
                )
            )
        return result


@strawberry.type
class ApplicationEdge:
    cursor: str
    node: Application


@strawberry.type
class ApplicationConnection:
    page_info: PageInfo
    edges: list[ApplicationEdge]


@strawberry.type
class Message:
    id: strawberry.ID
    body: str
    sender: str
    created_at: dt.datetime
    read_at: dt.datetime | None


@strawberry.type
class MessageEdge:
    cursor: str
    node: Message


@strawberry.type
class MessageConnection:
    page_info: PageInfo
    edges: list[MessageEdge]


@strawberry.type
class Session:
    token: str
    expires_at: dt.datetime


@strawberry.type
class LoginError:
    code: str


@strawberry.type
class LoginPayload:
    session: Session | None
    errors: list[LoginError] = strawberry.field(default_factory=list)


@strawberry.input
class LoginInput:
    portal: str
    email: str
    password: str
    device_token: str | None = None


async def _employer(info: strawberry.Info) -> models.User:
    """The employer of the bearer token's live session."""
    request: Request = info.context["request"]
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    settings: Settings = info.context["settings"]
    session = await models.Session.get_or_none(
        token_hash=keyed_hash(settings.secret_key, SESSION_PURPOSE, token),
        ended_at__isnull=True,
        expires_at__gt=dt.datetime.now(dt.UTC),
    )
    if session is None:
        raise PermissionError("unauthenticated")
    user = await models.User.get(id=session.user_id)
    if user.establishment_id is None:
        raise PermissionError("not an employer")
    return user


@strawberry.type
class Query:
    @strawberry.field
    async def employer_home(self, info: strawberry.Info) -> EmployerHome:
        user = await _employer(info)
        establishment = await models.Establishment.get(id=user.establishment_id)
        office = await models.Office.get(id=establishment.office_id)
        unread = await models.Message.filter(
            establishment_id=establishment.id, sender=MessageSender.SEEKER, read_at__isnull=True
        ).count()
        summaries = []
        for category in (
            PostingCategory.GENERAL,
            PostingCategory.GRADUATE,
            PostingCategory.DISABILITY,
        ):
            active = models.Posting.filter(
                establishment_id=establishment.id, status=PostingStatus.ACTIVE, category=category
            )
            count = await active.count()
            hiring = await active.annotate(total=Sum("number_to_hire")).values("total")
            summaries.append(
                CategorySummary(
                    category=category.value,
                    posting_count=count,
                    hiring_count=(hiring[0]["total"] if hiring else 0) or 0,
                )
            )
        return EmployerHome(
            establishment_name=establishment.name,
            office_name=office.name,
            unread_message_count=unread,
            active_postings=summaries,
        )

    @strawberry.field
    async def postings(self, info: strawberry.Info, first: int = 20) -> PostingConnection:
        user = await _employer(info)
        rows = (
            await models.Posting.filter(establishment_id=user.establishment_id)
            .order_by("-id")
            .limit(first + 1)
        )
        page = rows[:first]
        return PostingConnection(
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=_cursor("posting", page[-1].id) if page else None,
            ),
            edges=[
                PostingEdge(cursor=_cursor("posting", p.id), node=Posting(model=p)) for p in page
            ],
        )

    @strawberry.field
    async def applications(self, info: strawberry.Info, first: int = 20) -> ApplicationConnection:
        user = await _employer(info)
        rows = (
            await models.Application.filter(posting__establishment_id=user.establishment_id)
            .order_by("-id")
            .limit(first + 1)
        )
        page = rows[:first]
        return ApplicationConnection(
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=_cursor("application", page[-1].id) if page else None,
            ),
            edges=[
                ApplicationEdge(cursor=_cursor("application", a.id), node=Application(model=a))
                for a in page
            ],
        )

    @strawberry.field
    async def messages(
        self, info: strawberry.Info, thread_id: strawberry.ID, first: int = 20
    ) -> MessageConnection | None:
        user = await _employer(info)
        thread_pk = int(base64.b64decode(thread_id).decode().partition(":")[2])
        thread = await models.MessageThread.get_or_none(
            id=thread_pk, establishment_id=user.establishment_id
        )
        if thread is None:
            return None
        rows = await models.Message.filter(thread_id=thread.id).order_by("-id").limit(first + 1)
        page = rows[:first]
        return MessageConnection(
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=_cursor("message", page[-1].id) if page else None,
            ),
            edges=[
                MessageEdge(
                    cursor=_cursor("message", m.id),
                    node=Message(
                        id=_global_id("Message", m.id),
                        body=m.body,
                        sender=m.sender.value,
                        created_at=m.created_at,
                        read_at=m.read_at,
                    ),
                )
                for m in page
            ],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def login(self, info: strawberry.Info, input: LoginInput) -> LoginPayload:
        settings: Settings = info.context["settings"]
        user = await models.User.get_or_none(email=input.email, portal=input.portal)
        if user is None or not bcrypt.checkpw(input.password.encode(), user.password_hash.encode()):
            return LoginPayload(session=None, errors=[LoginError(code="INVALID_CREDENTIALS")])
        now = dt.datetime.now(dt.UTC)
        device = await models.RememberedDevice.get_or_none(
            user_id=user.id,
            token_hash=keyed_hash(settings.secret_key, DEVICE_PURPOSE, input.device_token or ""),
        )
        if device is None or device.expires_at <= now:
            return LoginPayload(session=None, errors=[LoginError(code="OTP_REQUIRED")])
        token = secrets.token_urlsafe(32)
        expires = now + dt.timedelta(minutes=settings.session_ttl_minutes)
        await models.Session.create(
            user_id=user.id,
            token_hash=keyed_hash(settings.secret_key, SESSION_PURPOSE, token),
            created_at=now,
            expires_at=expires,
            last_seen_at=now,
        )
        user.last_login_at = now
        await user.save()
        return LoginPayload(session=Session(token=token, expires_at=expires))


class NaiveGraphQL(GraphQL[dict[str, object], None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(strawberry.Schema(query=Query, mutation=Mutation), graphql_ide=None)
        self.settings = settings

    async def get_context(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> dict[str, object]:
        return {"request": request, "response": response, "settings": self.settings}


def create_naive_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            yield

    return Starlette(
        routes=[Route("/graphql", NaiveGraphQL(settings), methods=["GET", "POST"])],
        lifespan=lifespan,
    )
