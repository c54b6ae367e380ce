"""求職者情報検索 and 直接リクエスト: who may search, what they find, and the request limits."""

from __future__ import annotations

from typing import Any

from app.models import SeekerRequest
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Server, new_seeker

SEARCH = """query ($keyword: String, $prefecture: String, $employmentType: EmploymentType,
    $first: Int = 20, $after: String) {
  seekerSearch(keyword: $keyword, prefecture: $prefecture, employmentType: $employmentType,
      first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { profileId desiredJob desiredPrefecture desiredEmploymentType
      desiredWorkStyle experience licenses updatedAt } }
  }
}"""

SEND = """mutation ($input: SeekerRequestSendInput!) {
  seekerRequestSend(input: $input) {
    request { postingId message createdAt posting { postingNumber jobTitle }
      seeker { profileId desiredJob } }
    errors { field code message }
  }
}"""

MY_REQUESTS = """{ myRequests(first: 20) { edges { node {
  id postingId message posting { postingNumber jobTitle establishmentName } } } } }"""

MESSAGE_SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { body sender } errors { field code message } }
}"""


async def _send(
    employer: GraphQLClient, posting_id: str, profile_id: str, message: str = ""
) -> dict[str, Any]:
    return await sf.mutate(
        employer,
        SEND,
        "seekerRequestSend",
        {"postingId": posting_id, "seekerProfileId": profile_id, "message": message},
    )


async def _found(client: GraphQLClient, **variables: Any) -> list[str]:
    data = await client.execute(SEARCH, variables)
    return [e["node"]["profileId"] for e in data["seekerSearch"]["edges"]]


async def test_only_an_establishment_with_an_active_posting_searches(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    await sf.seed_profiles(server, 1)
    draft = await flows.create_posting(employer)
    response = await employer.post(SEARCH)
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert "有効中の求人がある事業所のみ" in response.json()["errors"][0]["message"]
    posting = await flows.active_posting(employer, staff)
    assert len(await _found(employer)) == 1
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "充足"})
    response = await employer.post(SEARCH)
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert draft["status"] == "DRAFT"

    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    assert flows.top_level_codes(await seeker.client.post(SEARCH)) == ["FORBIDDEN"]
    assert flows.top_level_codes(await staff.post(SEARCH)) == ["FORBIDDEN"]
    assert flows.top_level_codes(await new_client().post(SEARCH)) == ["UNAUTHENTICATED"]


async def test_only_published_profiles_anonymised(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    await flows.active_posting(employer, staff)
    taro = await new_seeker(server, new_client(), "taro@example.jp", name="求職 太郎")
    jiro = await new_seeker(server, new_client(), "jiro@example.jp", name="求職 次郎")
    await sf.update_profile(taro.client, published=True)
    await sf.update_profile(jiro.client, published=False, phoneNumber="090-9999-8888")

    response = await employer.post(SEARCH)
    found = [e["node"] for e in response.json()["data"]["seekerSearch"]["edges"]]
    assert [node["profileId"] for node in found] == [taro.profile_id]
    assert found[0]["desiredJob"] == "介護職員"
    for secret in ("求職 太郎", "taro@example.jp", "090-1234-5678", "求職 次郎", "jiro@example.jp"):
        assert secret not in response.text

    await sf.update_profile(taro.client, published=False)
    assert await _found(employer) == []


async def test_search_filters_and_paging(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    await flows.active_posting(employer, staff)
    nurse = await sf.seed_profiles(
        server,
        1,
        desired_job="看護師",
        desired_prefecture="大阪府",
        desired_employment_type="NON_REGULAR",
        licenses="正看護師",
    )
    clerks = await sf.seed_profiles(server, 4, desired_employment_type="REGULAR")
    await sf.seed_profiles(server, 2, published=False)

    assert await _found(employer, keyword="看護") == nurse
    assert await _found(employer, keyword="正看護師") == nurse
    assert await _found(employer, prefecture="大阪府") == nurse
    assert await _found(employer, employmentType="NON_REGULAR") == nurse
    assert sorted(await _found(employer, prefecture="東京都")) == sorted(clerks)
    assert await _found(employer, keyword="存在しない") == []

    seen: list[str] = []
    after = None
    while True:
        data = await employer.execute(SEARCH, {"first": 2, "after": after})
        page = data["seekerSearch"]
        seen += [e["node"]["profileId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(nurse + clerks)
    response = await employer.post(SEARCH, {"first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


async def test_at_most_ten_seekers_per_posting_once_each(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    other_posting = await flows.active_posting(employer, staff)
    profiles = await sf.seed_profiles(server, 11)
    for profile_id in profiles[:10]:
        payload = await _send(employer, posting["id"], profile_id, "ぜひご応募ください。")
        assert payload["errors"] == [], payload
    payload = await _send(employer, posting["id"], profiles[0])
    assert sf.error_codes(payload) == ["ALREADY_EXISTS"]
    payload = await _send(employer, posting["id"], profiles[10])
    assert sf.error_codes(payload) == ["REQUEST_LIMIT_REACHED"]
    assert await SeekerRequest.all().count() == 10
    # The limit is per posting.
    payload = await _send(employer, other_posting["id"], profiles[10])
    assert payload["errors"] == []
    assert payload["request"]["seeker"]["profileId"] == profiles[10]


async def test_request_rules(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    [published] = await sf.seed_profiles(server, 1)
    [hidden] = await sf.seed_profiles(server, 1, published=False)
    assert sf.error_codes(await _send(employer, posting["id"], hidden)) == ["NOT_FOUND"]
    draft = await flows.create_posting(employer)
    assert sf.error_codes(await _send(employer, draft["id"], published)) == ["NO_ACTIVE_POSTING"]
    other = other_employer
    await flows.active_posting(other, staff)
    assert sf.error_codes(await _send(other, posting["id"], published)) == ["NOT_FOUND"]
    payload = await _send(employer, posting["id"], published, "あ" * 1001)
    assert sf.error_codes(payload) == ["TOO_LONG"]
    assert await SeekerRequest.all().count() == 0


async def test_the_seekers_answer_is_an_online_application(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    closed = await flows.active_posting(
        employer, staff, acceptsOnlineApplications=False, jobTitle="調理補助"
    )
    posting = await flows.active_posting(employer, staff, jobTitle="調理員")
    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    await sf.update_profile(seeker.client)
    # A request invites to apply online: only for a posting that accepts online applications.
    payload = await _send(employer, closed["id"], seeker.profile_id, "ご検討ください。")
    assert sf.error_codes(payload) == ["NOT_ACCEPTING_APPLICATIONS"]

    payload = await _send(employer, posting["id"], seeker.profile_id, "調理経験を活かせます。")
    assert payload["errors"] == []
    data = await seeker.client.execute(MY_REQUESTS)
    [request] = [e["node"] for e in data["myRequests"]["edges"]]
    assert request["message"] == "調理経験を活かせます。"
    assert request["posting"]["jobTitle"] == "調理員"
    assert request["posting"]["establishmentName"] == "ハローワークケア"

    # The request is a relation: either side may write about it, and only they see it.
    reply = await seeker.client.execute(
        MESSAGE_SEND, {"input": {"requestId": request["id"], "body": "詳しく伺えますか。"}}
    )
    assert reply["messageSend"] == {
        "message": {"body": "詳しく伺えますか。", "sender": "SEEKER"},
        "errors": [],
    }
    node = "query ($id: ID!) { node(id: $id) { ... on SeekerRequest { message } } }"
    seen = await employer.execute(node, {"id": request["id"]})
    assert seen["node"] == {"message": "調理経験を活かせます。"}

    application = await sf.apply(seeker.client, request["postingId"])
    assert application["source"] == "ONLINE"
    data = await employer.execute(
        "{ applications(first: 5) { edges { node { id applicant { profileId } } } } }"
    )
    [edge] = data["applications"]["edges"]
    assert edge["node"]["applicant"]["profileId"] == seeker.profile_id
    # Other seekers see no requests.
    other = await new_seeker(server, new_client(), "jiro@example.jp")
    assert (await other.client.execute(MY_REQUESTS))["myRequests"]["edges"] == []
    assert (await other.client.execute(node, {"id": request["id"]}))["node"] is None
    response = await employer.post(MY_REQUESTS)
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
