"""Mail to the establishment when a seeker writes or applies (通知先メールアドレス)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.resolvers.notifications import APPLICATION_SUBJECT, MESSAGE_SUBJECT
from tests import flows
from tests import login_flows as lf
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Seeker, Server, mail_body
from tests.test_establishment_settings import review, update
from tests.test_messages import MARK_READ, sent

OWNER = "hr@care.example.jp"
SECOND = "second@care.example.jp"
NOTICE = "notice@care.example.jp"


@dataclass
class World:
    staff: GraphQLClient
    employer: GraphQLClient
    posting: dict[str, Any]
    seeker: Seeker


@pytest.fixture
async def world(staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker) -> World:
    posting = await flows.active_posting(employer, staff)
    return World(staff, employer, posting, seeker)


class Inbox:
    """The mails to an address from the moment it is opened (the maildir outlives tests)."""

    def __init__(self, server: Server, address: str, seen: int) -> None:
        self.server = server
        self.address = address
        self.seen = seen

    @classmethod
    async def open(cls, server: Server, address: str) -> Inbox:
        return cls(server, address, len(await server.mails_to(address)))

    async def subjects(self) -> list[str]:
        mails = await self.server.mails_to(self.address)
        return [flows.mail_subject(m) for m in mails[self.seen :]]


async def test_an_application_is_mailed_to_every_login(
    server: Server, world: World, new_client: Any
) -> None:
    await lf.add_login(server, world.employer, new_client(), SECOND)
    inboxes = [await Inbox.open(server, OWNER), await Inbox.open(server, SECOND)]

    application = await sf.apply(world.seeker.client, world.posting["id"])

    assert application["status"] == "APPLIED"
    for inbox in inboxes:
        assert await inbox.subjects() == [APPLICATION_SUBJECT]
        body = mail_body(await server.last_mail_to(inbox.address))
        assert world.posting["postingNumber"] in body
        assert world.seeker.name not in body
        assert world.seeker.email not in body


async def test_a_message_is_mailed_once_until_the_thread_is_read(
    server: Server, world: World
) -> None:
    application = await sf.apply(world.seeker.client, world.posting["id"])
    owner = await Inbox.open(server, OWNER)

    first = await sent(world.seeker.client, "はじめまして", applicationId=application["id"])
    await sent(world.seeker.client, "追伸です", applicationId=application["id"])
    assert await owner.subjects() == [MESSAGE_SUBJECT]
    assert "はじめまして" not in mail_body(await server.last_mail_to(OWNER))

    # The employer's own messages are not announced to itself.
    await sent(world.employer, "ご応募ありがとうございます", applicationId=application["id"])
    assert await owner.subjects() == [MESSAGE_SUBJECT]

    await world.employer.execute(MARK_READ, {"threadId": first["thread"]["id"]})
    await sent(world.seeker.client, "よろしくお願いします", applicationId=application["id"])
    assert await owner.subjects() == [MESSAGE_SUBJECT, MESSAGE_SUBJECT]


async def test_the_notification_address_replaces_the_logins(server: Server, world: World) -> None:
    change = (await update(world.employer, notificationEmail=NOTICE))["change"]
    assert (await review(world.staff, change["id"], approve=True))["errors"] == []
    notice, owner = await Inbox.open(server, NOTICE), await Inbox.open(server, OWNER)

    application = await sf.apply(world.seeker.client, world.posting["id"])
    await sent(world.seeker.client, "はじめまして", applicationId=application["id"])

    assert await notice.subjects() == [APPLICATION_SUBJECT, MESSAGE_SUBJECT]
    assert await owner.subjects() == []
