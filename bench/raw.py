"""The raw baseline: the benchmark's pages served by plain Starlette routes, hand-written SQL
through the database driver (Tortoise's connection, no models: aiosqlite on SQLite, asyncpg's
pool on PostgreSQL, the same statements with `$n` placeholders) and `json`.

It does what the service must do for the same answer — find the live session by its keyed
hash, read the page and what each row shows — with nothing else: no GraphQL, no ORM objects,
no middleware. Its answers have the shape of the GraphQL ones, so the bytes on the wire match.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import bcrypt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.contrib.starlette import RegisterTortoise

from app.db import tortoise_config
from app.resolvers.accounts import DEVICE_PURPOSE, SESSION_PURPOSE
from app.security import keyed_hash
from app.settings import Settings

HOME_CATEGORIES = ("GENERAL", "GRADUATE", "DISABILITY")


def _global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def _cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode()


def _text(value: Any) -> Any:
    """Dates as ISO text: SQLite hands back the stored text, PostgreSQL datetime objects."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _page_info(kind: str, ids: list[int], has_next: bool) -> dict[str, Any]:
    return {"hasNextPage": has_next, "endCursor": _cursor(kind, ids[-1]) if ids else None}


class RawService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.uses_postgres

    @property
    def db(self) -> BaseDBAsyncClient:
        client: BaseDBAsyncClient = connections.get("default")
        return client

    def sql(self, text: str) -> str:
        """`?` placeholders, numbered for asyncpg."""
        if not self.postgres:
            return text
        parts = text.split("?")
        return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]

    async def rows(self, text: str, *values: Any) -> list[dict[str, Any]]:
        return await self.db.execute_query_dict(self.sql(text), list(values))

    async def establishment_of(self, request: Request) -> int | None:
        """The establishment of the live employer session named by the bearer token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        now = dt.datetime.now(dt.UTC)
        idle_since = now - dt.timedelta(minutes=self.settings.session_idle_minutes)
        found = await self.rows(
            'SELECT u.establishment_id FROM "session" s JOIN "user" u ON u.id = s.user_id '
            "WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? "
            "AND s.last_seen_at >= ? AND u.is_active AND u.portal = 'EMPLOYER'",
            keyed_hash(self.settings.secret_key, SESSION_PURPOSE, token.strip()),
            now,
            idle_since,
        )
        return found[0]["establishment_id"] if found else None

    async def home(self, establishment_id: int) -> dict[str, Any]:
        names = await self.rows(
            "SELECT e.name, o.name AS office_name FROM establishment e "
            "JOIN office o ON o.id = e.office_id WHERE e.id = ?",
            establishment_id,
        )
        unread = await self.rows(
            "SELECT COUNT(*) AS n FROM message WHERE establishment_id = ? "
            "AND sender = 'SEEKER' AND read_at IS NULL",
            establishment_id,
        )
        sums = await self.rows(
            "SELECT category, COUNT(*) AS n, SUM(number_to_hire) AS hiring FROM posting "
            "WHERE establishment_id = ? AND status = 'ACTIVE' GROUP BY category",
            establishment_id,
        )
        by_category = {row["category"]: row for row in sums}
        return {
            "employerHome": {
                "establishmentName": names[0]["name"],
                "officeName": names[0]["office_name"],
                "unreadMessageCount": unread[0]["n"],
                "activePostings": [
                    {
                        "category": category,
                        "postingCount": by_category.get(category, {}).get("n", 0),
                        "hiringCount": by_category.get(category, {}).get("hiring") or 0,
                    }
                    for category in HOME_CATEGORIES
                ],
            }
        }

    async def postings(self, establishment_id: int, first: int) -> dict[str, Any]:
        rows = await self.rows(
            "SELECT id, status, posting_number, referral_deadline, created_at, job_title, "
            "category, work_style, number_to_hire, base_wage_min, base_wage_max FROM posting "
            "WHERE establishment_id = ? ORDER BY id DESC LIMIT ?",
            establishment_id,
            first + 1,
        )
        page = rows[:first]
        ids = [row["id"] for row in page]
        history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            marks = ", ".join("?" * len(ids))
            for event in await self.rows(
                "SELECT e.posting_id, e.action, u.portal FROM posting_event e "  # noqa: S608 - placeholders only
                f'LEFT JOIN "user" u ON u.id = e.actor_id WHERE e.posting_id IN ({marks}) '
                "ORDER BY e.id",
                *ids,
            ):
                history[event["posting_id"]].append(
                    {"action": event["action"], "actorPortal": event["portal"]}
                )
        return {
            "postings": {
                "pageInfo": _page_info("posting", ids, len(rows) > first),
                "edges": [
                    {
                        "cursor": _cursor("posting", row["id"]),
                        "node": {
                            "id": _global_id("Posting", row["id"]),
                            "status": row["status"],
                            "postingNumber": row["posting_number"],
                            "referralDeadline": _text(row["referral_deadline"]),
                            "createdAt": _text(row["created_at"]),
                            "content": {
                                "jobTitle": row["job_title"],
                                "category": row["category"],
                                "workStyle": row["work_style"],
                                "numberToHire": row["number_to_hire"],
                                "baseWageMin": row["base_wage_min"],
                                "baseWageMax": row["base_wage_max"],
                            },
                            "history": history[row["id"]],
                        },
                    }
                    for row in page
                ],
            }
        }

    async def applications(self, establishment_id: int, first: int) -> dict[str, Any]:
        rows = await self.rows(
            "SELECT a.id, a.status, a.source, a.created_at, a.seeker_id, a.posting_id, "
            "p.posting_number, p.job_title FROM application a "
            "JOIN posting p ON p.id = a.posting_id WHERE a.establishment_id = ? "
            "ORDER BY a.id DESC LIMIT ?",
            establishment_id,
            first + 1,
        )
        page = rows[:first]
        ids = [row["id"] for row in page]
        profiles: dict[int, dict[str, Any]] = {}
        history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            seekers = sorted({row["seeker_id"] for row in page})
            for profile in await self.rows(
                "SELECT id, user_id, desired_job, desired_prefecture, experience "  # noqa: S608 - placeholders only
                f"FROM seeker_profile WHERE user_id IN ({', '.join('?' * len(seekers))})",
                *seekers,
            ):
                profiles[profile["user_id"]] = profile
            for event in await self.rows(
                "SELECT e.application_id, e.at, e.from_status, e.to_status, e.reason, u.portal "  # noqa: S608 - placeholders only
                'FROM application_event e LEFT JOIN "user" u ON u.id = e.actor_id '
                f"WHERE e.application_id IN ({', '.join('?' * len(ids))}) ORDER BY e.id",
                *ids,
            ):
                history[event["application_id"]].append(
                    {
                        "actorPortal": event["portal"],
                        "at": _text(event["at"]),
                        "fromStatus": event["from_status"],
                        "toStatus": event["to_status"],
                        "reason": event["reason"],
                    }
                )
        edges = []
        for row in page:
            profile = profiles[row["seeker_id"]]
            edges.append(
                {
                    "cursor": _cursor("application", row["id"]),
                    "node": {
                        "id": _global_id("Application", row["id"]),
                        "status": row["status"],
                        "source": row["source"],
                        "createdAt": _text(row["created_at"]),
                        "applicant": {
                            "profileId": _global_id("SeekerProfile", profile["id"]),
                            "desiredJob": profile["desired_job"],
                            "desiredPrefecture": profile["desired_prefecture"],
                            "experience": profile["experience"],
                        },
                        "posting": {
                            "id": _global_id("Posting", row["posting_id"]),
                            "postingNumber": row["posting_number"],
                            "content": {"jobTitle": row["job_title"]},
                        },
                        "statusHistory": history[row["id"]],
                    },
                }
            )
        return {
            "applications": {
                "pageInfo": _page_info("application", ids, len(rows) > first),
                "edges": edges,
            }
        }

    async def messages(self, establishment_id: int, thread_id: int, first: int) -> dict[str, Any]:
        rows = await self.rows(
            "SELECT m.id, m.body, m.sender, m.created_at, m.read_at FROM message m "
            "JOIN message_thread t ON t.id = m.thread_id "
            "WHERE m.thread_id = ? AND t.establishment_id = ? ORDER BY m.id DESC LIMIT ?",
            thread_id,
            establishment_id,
            first + 1,
        )
        page = rows[:first]
        ids = [row["id"] for row in page]
        return {
            "messages": {
                "pageInfo": _page_info("message", ids, len(rows) > first),
                "edges": [
                    {
                        "cursor": _cursor("message", row["id"]),
                        "node": {
                            "id": _global_id("Message", row["id"]),
                            "body": row["body"],
                            "sender": row["sender"],
                            "createdAt": _text(row["created_at"]),
                            "readAt": _text(row["read_at"]),
                        },
                    }
                    for row in page
                ],
            }
        }

    async def login(self, email: str, password: str, device_token: str) -> dict[str, Any]:
        """Password (bcrypt in a worker thread), remembered device, new session."""
        users = await self.rows(
            'SELECT id, password_hash FROM "user" '
            "WHERE portal = 'EMPLOYER' AND email = ? AND is_active",
            email,
        )
        if not users:
            return {"login": {"session": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}}
        user = users[0]
        ok = await anyio.to_thread.run_sync(
            bcrypt.checkpw, password.encode(), user["password_hash"].encode()
        )
        now = dt.datetime.now(dt.UTC)
        remembered = await self.rows(
            "SELECT 1 AS ok FROM remembered_device WHERE user_id = ? AND token_hash = ? "
            "AND expires_at > ?",
            user["id"],
            keyed_hash(self.settings.secret_key, DEVICE_PURPOSE, device_token),
            now,
        )
        if not ok or not remembered:
            return {"login": {"session": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}}
        token = secrets.token_urlsafe(32)
        expires = now + dt.timedelta(minutes=self.settings.session_ttl_minutes)
        await self.db.execute_query(
            self.sql(
                'INSERT INTO "session" (user_id, token_hash, created_at, expires_at, '
                "last_seen_at) VALUES (?, ?, ?, ?, ?)"
            ),
            [
                user["id"],
                keyed_hash(self.settings.secret_key, SESSION_PURPOSE, token),
                now,
                expires,
                now,
            ],
        )
        await self.db.execute_query(
            self.sql('UPDATE "user" SET last_login_at = ? WHERE id = ?'), [now, user["id"]]
        )
        return {
            "login": {"session": {"token": token, "expiresAt": expires.isoformat()}, "errors": []}
        }


def _json(data: dict[str, Any]) -> Response:
    return Response(json.dumps({"data": data}, ensure_ascii=False), media_type="application/json")


def create_raw_app(settings: Settings) -> Starlette:
    service = RawService(settings)

    def page_route(kind: str) -> Route:
        async def endpoint(request: Request) -> Response:
            establishment_id = await service.establishment_of(request)
            if establishment_id is None:
                return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
            body = await request.json()
            variables = body.get("variables") or {}
            first = int(variables.get("first", 20))
            if kind == "home":
                return _json(await service.home(establishment_id))
            if kind == "postings":
                return _json(await service.postings(establishment_id, first))
            if kind == "applications":
                return _json(await service.applications(establishment_id, first))
            thread = base64.b64decode(variables["thread"]).decode().partition(":")[2]
            return _json(await service.messages(establishment_id, int(thread), first))

        return Route(f"/raw/{kind}", endpoint, methods=["POST"])

    async def login(request: Request) -> Response:
        body = await request.json()
        data = body["variables"]["input"]
        return _json(await service.login(data["email"], data["password"], data["deviceToken"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            yield

    return Starlette(
        routes=[
            *(page_route(kind) for kind in ("home", "postings", "applications", "messages")),
            Route("/raw/login", login, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
