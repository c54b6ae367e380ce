"""The staff review queue: postings, images and establishment changes of their office only,
oldest first."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from app.models import EstablishmentImage, User
from app.models.establishments import ImageFormat, ReviewStatus
from tests import flows
from tests.conftest import (
    Counter,
    GraphQLClient,
    Server,
    new_employer,
    new_establishment,
    new_staff,
)
from tests.test_establishment_settings import REVIEW, profile, update

QUEUE = """
query ($first: Int!, $after: String) {
  reviewQueue(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor waitingSince node { __typename
      ... on Posting { id postingStatus: status content { jobTitle } pendingContent { jobTitle } }
      ... on EstablishmentImage { id status caption }
      ... on EstablishmentChange { id status proposed { name } } } }
  }
}"""


async def queue(staff: GraphQLClient, first: int = 20, after: str | None = None) -> dict[str, Any]:
    data = await staff.execute(QUEUE, {"first": first, "after": after})
    connection: dict[str, Any] = data["reviewQueue"]
    return connection


def labels(connection: dict[str, Any]) -> list[str]:
    """Each item as `Type:what`, to compare whole queues at a glance."""
    found = []
    for edge in connection["edges"]:
        node = edge["node"]
        if node["__typename"] == "Posting":
            content = node["pendingContent"] or node["content"]
            found.append(f"Posting:{node['postingStatus']}:{content['jobTitle']}")
        elif node["__typename"] == "EstablishmentImage":
            found.append(f"EstablishmentImage:{node['caption']}")
        else:
            found.append(f"EstablishmentChange:{node['proposed']['name']}")
    return found


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def open_establishment(
    server: Server, staff: GraphQLClient, new_client: Any, number: str, email: str
) -> tuple[GraphQLClient, Counter]:
    counter = await new_establishment(server, staff, number=number)
    employer = new_client()
    await new_employer(server, employer, counter, email)
    return employer, counter


async def submitted_posting(employer: GraphQLClient, job_title: str) -> dict[str, Any]:
    posting = await flows.create_posting(employer, jobTitle=job_title)
    return await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})


async def change_request(employer: GraphQLClient, posting_id: str, job_title: str) -> None:
    await flows.posting_step(
        employer,
        "postingChangeRequest",
        {"id": posting_id, "content": flows.posting_content(jobTitle=job_title)},
    )


async def pending_image(server: Server, counter: Counter, caption: str) -> None:
    """An uploaded image waiting for review; the queue only reads it, so it is stored as the
    upload would store it."""
    uploader = await User.get(establishment_id=pk(counter.establishment_id))
    await EstablishmentImage.create(
        establishment_id=pk(counter.establishment_id),
        content_hash=f"{caption:0>64}"[-64:],
        format=ImageFormat.PNG,
        width=10,
        height=10,
        size_bytes=100,
        caption=caption,
        uploaded_by_id=uploader.id,
        uploaded_at=server.clock.now(),
    )


async def test_the_queue_lists_what_waits_in_the_office_oldest_first(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    osaka_staff = await new_staff(server, new_client(), "27010")
    first, first_counter = await open_establishment(
        server, staff, new_client, "1301-000001-1", "hr1@example.jp"
    )
    second, _ = await open_establishment(
        server, staff, new_client, "1301-000002-2", "hr2@example.jp"
    )
    osaka, osaka_counter = await open_establishment(
        server, osaka_staff, new_client, "2701-000003-3", "hr3@example.jp"
    )
    active = await flows.active_posting(first, staff, jobTitle="有効中の求人")
    await flows.create_posting(first, jobTitle="仮登録のまま")
    approved = (await update(second, name="承認済みの変更"))["change"]
    await staff.execute(REVIEW, {"input": {"changeId": approved["id"], "approve": True}})
    # What waits, one minute apart, not in the order of kinds.
    server.clock.advance(minutes=1)
    await submitted_posting(first, "提出された求人")
    server.clock.advance(minutes=1)
    await update(second, name="事業所名の変更")
    server.clock.advance(minutes=1)
    await pending_image(server, first_counter, "職場の写真")
    server.clock.advance(minutes=1)
    await change_request(first, active["id"], "変更後の求人")
    server.clock.advance(minutes=1)
    await submitted_posting(second, "二件目の提出")
    # Another office's items, at the same moments.
    await submitted_posting(osaka, "大阪の求人")
    await update(osaka, **profile(name="大阪の変更"))
    await pending_image(server, osaka_counter, "大阪の写真")

    whole = await queue(staff)
    osaka_queue = await queue(osaka_staff)

    assert labels(whole) == [
        "Posting:SUBMITTED:提出された求人",
        "EstablishmentChange:事業所名の変更",
        "EstablishmentImage:職場の写真",
        "Posting:ACTIVE:変更後の求人",
        "Posting:SUBMITTED:二件目の提出",
    ]
    assert whole["pageInfo"]["hasNextPage"] is False
    waiting = [edge["waitingSince"] for edge in whole["edges"]]
    assert waiting == sorted(waiting)
    assert waiting[0] == "2026-11-25T01:01:00+00:00"
    assert labels(osaka_queue) == [
        "Posting:SUBMITTED:大阪の求人",
        "EstablishmentImage:大阪の写真",
        "EstablishmentChange:大阪の変更",
    ]


async def test_the_queue_pages_and_reviewed_items_leave_it(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    employer, counter = await open_establishment(
        server, staff, new_client, "1301-000001-1", "hr1@example.jp"
    )
    # All at one moment: postings, then images, then changes, each by id.
    await pending_image(server, counter, "写真A")
    change = (await update(employer, name="変更"))["change"]
    one = await submitted_posting(employer, "求人1")
    await pending_image(server, counter, "写真B")
    await submitted_posting(employer, "求人2")

    page_one = await queue(staff, first=2)
    await flows.posting_step(staff, "postingCounterConfirm", {"id": one["id"]})
    await flows.posting_step(staff, "postingAccept", {"id": one["id"]})
    page_two = await queue(staff, first=2, after=page_one["pageInfo"]["endCursor"])
    page_three = await queue(staff, first=2, after=page_two["pageInfo"]["endCursor"])
    await staff.execute(REVIEW, {"input": {"changeId": change["id"], "approve": False,
                                           "reason": "確認できません"}})  # fmt: skip
    after_review = await queue(staff)

    assert labels(page_one) == ["Posting:SUBMITTED:求人1", "Posting:SUBMITTED:求人2"]
    assert page_one["pageInfo"]["hasNextPage"] is True
    assert labels(page_two) == ["EstablishmentImage:写真A", "EstablishmentImage:写真B"]
    assert page_two["pageInfo"]["hasNextPage"] is True
    assert labels(page_three) == ["EstablishmentChange:変更"]
    assert page_three["pageInfo"]["hasNextPage"] is False
    assert labels(after_review) == [
        "Posting:SUBMITTED:求人2",
        "EstablishmentImage:写真A",
        "EstablishmentImage:写真B",
    ]
    await EstablishmentImage.filter(caption="写真A").update(status=ReviewStatus.APPROVED)
    assert labels(await queue(staff, first=1, after=after_review["edges"][0]["cursor"])) == [
        "EstablishmentImage:写真B"
    ]


async def test_only_staff_see_the_queue(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    employer, _ = await open_establishment(
        server, staff, new_client, "1301-000001-1", "hr1@example.jp"
    )

    employer_response = await employer.post(QUEUE, {"first": 5})
    anonymous_response = await gql.post(QUEUE, {"first": 5})

    assert flows.top_level_codes(employer_response) == ["FORBIDDEN"]
    assert flows.top_level_codes(anonymous_response) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (101, None),
        (-1, None),
        (5, "not-a-cursor"),
        (5, base64.urlsafe_b64encode(b"review:POSTING|yesterday|1").decode()),
        (5, base64.urlsafe_b64encode(b"review:SEEKER|2026-11-25T01:00:00+00:00|1").decode()),
        (5, base64.urlsafe_b64encode(b"posting:1").decode()),
    ],
)
async def test_bad_pages_are_refused(
    server: Server, new_client: Any, first: int, after: str | None
) -> None:
    staff = await new_staff(server, new_client())

    response = await staff.post(QUEUE, {"first": first, "after": after})

    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


async def test_a_full_page_of_100_is_allowed(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())

    assert (await queue(staff, first=100))["edges"] == []
