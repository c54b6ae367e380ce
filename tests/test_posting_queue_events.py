"""What every review transition of a posting leaves behind besides the posting: one queue event
for the office's review queue (an item ADDED, TAKEN by a decision, REMOVED otherwise) when the
posting enters or leaves it, and a notice in the establishment's inbox for a decision of staff.

Read from the stored rows: the subscription that carries the queue events is tested with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models import Event, HelloWorkNotice, Posting
from app.models.counter import NoticeKind
from app.models.events import EventKind
from app.resolvers import postings
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import GraphQLClient, Server, user_of
from tests.test_postings import move_clock, tokyo


class QueueLog:
    """The queue events written since the last look, as (change, posting id)."""

    def __init__(self) -> None:
        self.seen = 0

    async def new(self) -> list[tuple[str, int]]:
        rows = await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED, id__gt=self.seen).order_by(
            "id"
        )
        if rows:
            self.seen = rows[-1].id
        return [(str(row.queue_change), int(row.review_item_id or 0)) for row in rows]


def pk(posting: dict[str, Any]) -> int:
    return decode_id(posting["id"], "Posting", "id")


async def test_a_submission_is_added_and_withdrawn_accepted_or_returned(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    log = QueueLog()
    posting = await flows.create_posting(employer)
    assert await log.new() == []
    await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    assert await log.new() == [("ADDED", pk(posting))]
    await flows.posting_step(employer, "postingWithdraw", {"id": posting["id"]})
    assert await log.new() == [("REMOVED", pk(posting))]
    await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    assert await log.new() == [("ADDED", pk(posting))]
    # 本登録 keeps it in the queue.
    await flows.posting_step(staff, "postingCounterConfirm", {"id": posting["id"]})
    assert await log.new() == []
    await flows.posting_step(
        staff, "postingReturn", {"id": posting["id"], "reason": "仕事内容を具体的に。"}
    )
    assert await log.new() == [("TAKEN", pk(posting))]
    await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    assert await log.new() == [("ADDED", pk(posting))]
    await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    assert await log.new() == [("TAKEN", pk(posting))]

    row = await Posting.get(id=pk(posting)).select_related("establishment")
    events = await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED)
    assert {
        (e.office_id, e.establishment_id, e.review_kind, e.created_at.tzinfo is not None)
        for e in events
    } == {(row.establishment.office_id, row.establishment_id, "POSTING", True)}


async def test_a_correction_of_a_submission_keeps_its_place(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.create_posting(employer)
    await flows.submit_and_register(employer, staff, posting["id"])
    log = QueueLog()
    await log.new()
    data = await staff.execute(
        """mutation ($input: PostingCorrectInput!) { postingCorrect(input: $input) {
          errors { code } } }""",
        {"input": {"id": posting["id"], "content": {"numberToHire": 1}, "note": "訂正"}},
    )
    assert data["postingCorrect"]["errors"] == []
    assert await log.new() == []


async def test_changes_and_renewals_of_active_postings(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    accepted = await flows.active_posting(employer, staff, jobTitle="看護師")
    returned = await flows.active_posting(employer, staff, jobTitle="調理補助")
    log = QueueLog()
    await log.new()
    change = {"content": flows.posting_content(numberToHire=5)}

    await flows.posting_step(employer, "postingChangeRequest", {"id": accepted["id"], **change})
    assert await log.new() == [("ADDED", pk(accepted))]
    # A newer request takes a new place: added again.
    await flows.posting_step(employer, "postingChangeRequest", {"id": accepted["id"], **change})
    assert await log.new() == [("ADDED", pk(accepted))]
    await flows.posting_step(staff, "postingAccept", {"id": accepted["id"]})
    assert await log.new() == [("TAKEN", pk(accepted))]
    await flows.posting_step(employer, "postingChangeRequest", {"id": returned["id"], **change})
    await log.new()
    await flows.posting_step(staff, "postingReturn", {"id": returned["id"], "reason": "不可"})
    assert await log.new() == [("TAKEN", pk(returned))]

    await move_clock(server, tokyo(2027, 1, 20), employer, staff)
    for posting in (accepted, returned):
        await flows.posting_step(employer, "postingRenewalReserve", {"id": posting["id"]})
        assert await log.new() == [("ADDED", pk(posting))]
    await flows.posting_step(staff, "postingAccept", {"id": accepted["id"]})
    assert await log.new() == [("TAKEN", pk(accepted))]
    await flows.posting_step(staff, "postingReturn", {"id": returned["id"], "reason": "不可"})
    assert await log.new() == [("TAKEN", pk(returned))]

    # The expiry of what no longer waits, and the renewal it makes, leave the queue alone.
    await move_clock(server, tokyo(2027, 2, 1, 0), employer)
    assert await postings.expire_postings(server.rt) == postings.ExpiryResult(2, 1)
    assert await log.new() == []


async def test_a_settled_change_leaves_the_renewal_waiting_behind_it(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await move_clock(server, tokyo(2027, 1, 20), employer, staff)
    await flows.posting_step(employer, "postingRenewalReserve", {"id": posting["id"]})
    await flows.posting_step(
        employer,
        "postingChangeRequest",
        {"id": posting["id"], "content": flows.posting_content(numberToHire=5)},
    )
    log = QueueLog()
    await log.new()
    await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    # Still waiting, for its renewal now: in the queue again at the renewal's place.
    assert await log.new() == [("ADDED", pk(posting))]
    queue = await staff.execute(
        "{ reviewQueue(first: 5) { edges { node { ... on Posting { id } } } } }"
    )
    assert [e["node"]["id"] for e in queue["reviewQueue"]["edges"]] == [posting["id"]]
    await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    assert await log.new() == [("TAKEN", pk(posting))]


async def test_what_ends_while_waiting_is_removed(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    stopped = await flows.active_posting(employer, staff, jobTitle="看護師")
    expiring = await flows.active_posting(employer, staff, jobTitle="調理補助")
    not_renewed = await flows.active_posting(employer, staff, jobTitle="清掃員")
    quiet = await flows.active_posting(employer, staff, jobTitle="事務員")
    lapsing = await flows.create_posting(employer, jobTitle="運転手", contractingWork=True)
    submitted = await flows.posting_step(employer, "postingSubmit", {"id": lapsing["id"]})
    due = dt.date.fromisoformat(submitted["counterRegistration"]["dueOn"])
    change = {"content": flows.posting_content(numberToHire=5)}
    await flows.posting_step(employer, "postingChangeRequest", {"id": stopped["id"], **change})
    await flows.posting_step(employer, "postingChangeRequest", {"id": expiring["id"], **change})
    log = QueueLog()
    await log.new()

    await flows.posting_step(employer, "postingStop", {"id": stopped["id"], "reason": "充足"})
    assert await log.new() == [("REMOVED", pk(stopped))]
    await flows.posting_step(employer, "postingStop", {"id": quiet["id"], "reason": "充足"})
    assert await log.new() == []

    # The day after the 本登録 due date: the submission lapses.
    server.clock.set(tokyo(due.year, due.month, due.day) + dt.timedelta(days=1))
    assert (await postings.expire_postings(server.rt)).lapsed == 1
    assert await log.new() == [("REMOVED", pk(lapsing))]

    await move_clock(server, tokyo(2027, 1, 20), employer)
    await flows.posting_step(employer, "postingRenewalReserve", {"id": not_renewed["id"]})
    await log.new()
    await move_clock(server, tokyo(2027, 2, 1, 0), employer)
    result = await postings.expire_postings(server.rt)
    assert (result.expired, result.renewed) == (2, 0)
    assert sorted(await log.new()) == sorted(
        [("REMOVED", pk(expiring)), ("REMOVED", pk(not_renewed))]
    )


# --- Notices of the decisions ---------------------------------------------------------------


async def notices() -> list[tuple[str, str, str]]:
    return [
        (notice.kind.value, notice.title, notice.body)
        for notice in await HelloWorkNotice.all().order_by("id")
    ]


async def test_acceptance_and_return_are_noticed_with_the_number_the_deadline_and_the_reason(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.create_posting(employer, jobTitle="介護職員")
    await flows.submit_and_register(employer, staff, posting["id"])
    await flows.posting_step(
        staff, "postingReturn", {"id": posting["id"], "reason": "仕事内容を具体的に。"}
    )
    [returned] = await notices()
    assert returned[:2] == ("POSTING_RETURNED", "求人の修正依頼があります")
    assert "介護職員" in returned[2]
    assert "理由: 仕事内容を具体的に。" in returned[2]

    await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    accepted = await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    [_, notice] = await notices()
    assert notice[:2] == ("POSTING_ACCEPTED", "求人を受理しました")
    assert f"求人番号 {accepted['postingNumber']}（介護職員）" in notice[2]
    assert "紹介期限日: 令和9年1月31日" in notice[2]

    staff_user = await user_of(server, staff)
    rows = await HelloWorkNotice.all()
    row = await Posting.get(id=pk(posting))
    assert {(n.establishment_id, n.posting_id, n.sent_by_id) for n in rows} == {
        (row.establishment_id, row.id, staff_user.id)
    }
    # Each notice has its event for the establishment's subscribers.
    noticed = await Event.filter(kind=EventKind.NOTICE_RECEIVED).order_by("id")
    assert [(e.notice_id, e.establishment_id) for e in noticed] == [
        (n.id, row.establishment_id) for n in sorted(rows, key=lambda n: n.id)
    ]


async def test_changes_and_renewals_are_noticed_when_decided(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, jobTitle="看護師")
    other = await flows.active_posting(employer, staff, jobTitle="調理補助")
    number = posting["postingNumber"]
    before = len(await notices())
    change = {"content": flows.posting_content(jobTitle="看護師（夜勤なし）")}
    await flows.posting_step(employer, "postingChangeRequest", {"id": posting["id"], **change})
    await flows.posting_step(staff, "postingAccept", {"id": posting["id"], "note": "確認済み"})
    await flows.posting_step(employer, "postingChangeRequest", {"id": posting["id"], **change})
    await flows.posting_step(staff, "postingReturn", {"id": posting["id"], "reason": "不可"})
    await move_clock(server, tokyo(2027, 1, 20), employer, staff)
    await flows.posting_step(employer, "postingRenewalReserve", {"id": posting["id"]})
    await flows.posting_step(staff, "postingReturn", {"id": posting["id"], "reason": "要確認"})

    found = (await notices())[before:]
    assert [(kind, title) for kind, title, _ in found] == [
        ("POSTING_ACCEPTED", "求人の変更を受理しました"),
        ("POSTING_RETURNED", "求人の変更申請を受理できませんでした"),
        ("POSTING_RETURNED", "求人の更新予約を受理できませんでした"),
    ]
    assert f"求人番号 {number}（看護師（夜勤なし））" in found[0][2]
    assert "紹介期限日: 令和9年1月31日" in found[0][2]
    assert "理由: 不可" in found[1][2]
    assert "令和9年1月31日" in found[2][2]
    assert "理由: 要確認" in found[2][2]

    await flows.posting_step(employer, "postingRenewalReserve", {"id": other["id"]})
    await flows.posting_step(staff, "postingAccept", {"id": other["id"]})
    kind, title, body = (await notices())[-1]
    assert (kind, title) == ("POSTING_ACCEPTED", "求人の更新を受理しました")
    assert f"求人番号 {other['postingNumber']}" in body
    assert await HelloWorkNotice.filter(kind=NoticeKind.POSTING_CORRECTED).count() == 0
