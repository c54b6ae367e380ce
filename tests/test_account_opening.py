"""The leaflet's account opening, over real HTTP."""

from __future__ import annotations

from tests import flows
from tests.conftest import GraphQLClient, Server

HOME = """{ employerHome { establishmentName officeName unreadMessageCount
  activePostings { category postingCount hiringCount } } }"""


async def test_whole_flow_opens_my_page(server: Server, gql: GraphQLClient, new_client) -> None:
    staff = await flows.staff_client(server, new_client())
    counter = await flows.register_at_counter(staff)
    await flows.open_employer_account(server, gql, counter)

    data = await gql.execute(HOME)

    assert data["employerHome"] == {
        "establishmentName": "ハローワークケア",
        "officeName": "テスト13010公共職業安定所",
        "unreadMessageCount": 0,
        "activePostings": [
            {"category": "GENERAL", "postingCount": 0, "hiringCount": 0},
            {"category": "GRADUATE", "postingCount": 0, "hiringCount": 0},
            {"category": "DISABILITY", "postingCount": 0, "hiringCount": 0},
        ],
    }
