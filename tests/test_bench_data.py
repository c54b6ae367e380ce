"""`python -m bench.data`: the benchmark's data, and what its known employer sees of it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import models
from app.models.postings import PostingStatus
from bench import data as bench_data
from bench.load import APPLICATIONS, HOME, MESSAGES, POSTINGS
from tests import flows
from tests.conftest import GraphQLClient, Server
from tests.processes import REPO, run_app_ok, service_env

TINY = bench_data.PRESETS["tiny"]


async def test_fills_the_database_in_the_proportions_asked(server: Server) -> None:
    generated = await bench_data.generate(server.rt, TINY)

    assert await models.Establishment.all().count() == TINY.establishments
    assert await models.Posting.all().count() == TINY.postings
    assert await models.Application.all().count() == TINY.applications
    assert await models.Message.all().count() == TINY.messages
    assert generated.counts["application"] == TINY.applications
    # every application has its history, every seeker who applied a profile
    assert await models.ApplicationEvent.all().count() >= TINY.applications
    applicants = set(await models.Application.all().values_list("seeker_id", flat=True))
    profiles = set(await models.SeekerProfile.all().values_list("user_id", flat=True))
    assert applicants <= profiles
    with pytest.raises(ValueError, match="already holds"):
        await bench_data.generate(server.rt, TINY)


async def test_the_known_employer_logs_in_and_sees_its_data(
    server: Server, new_client: type[GraphQLClient]
) -> None:
    generated = await bench_data.generate(server.rt, TINY)
    client = new_client()
    await flows.log_in(
        server, client, "EMPLOYER", bench_data.BENCH_EMAIL, bench_data.BENCH_PASSWORD
    )
    user = await models.User.get(email=bench_data.BENCH_EMAIL)

    home = (await client.execute(HOME))["employerHome"]
    active = await models.Posting.filter(
        establishment_id=user.establishment_id, status=PostingStatus.ACTIVE
    ).count()
    assert home["establishmentName"] == "株式会社ハローワークベンチ"
    assert sum(s["postingCount"] for s in home["activePostings"]) > 0
    assert sum(s["postingCount"] for s in home["activePostings"]) <= active

    own = await models.Posting.filter(establishment_id=user.establishment_id).count()
    postings = (await client.execute(POSTINGS, {"first": 50}))["postings"]
    assert len(postings["edges"]) == own
    assert all(edge["node"]["history"] for edge in postings["edges"])

    applications = (await client.execute(APPLICATIONS, {"first": 50}))["applications"]
    expected = await models.Application.filter(
        posting__establishment_id=user.establishment_id
    ).count()
    assert len(applications["edges"]) == min(50, expected) > 0
    for edge in applications["edges"]:
        assert edge["node"]["statusHistory"][0]["toStatus"] == "APPLIED"
        assert edge["node"]["applicant"]["desiredJob"]

    thread = await models.MessageThread.get(id=generated.bench_thread_id)
    assert thread.establishment_id == user.establishment_id
    in_thread = await models.Message.filter(thread_id=thread.id).count()
    thread_id = base64.b64encode(f"MessageThread:{thread.id}".encode()).decode()
    messages = (await client.execute(MESSAGES, {"thread": thread_id, "first": 50}))["messages"]
    assert len(messages["edges"]) == min(50, in_thread) > 0
    assert messages["pageInfo"]["hasNextPage"] == (in_thread > 50)


async def test_open_session_gives_a_working_token(
    server: Server, new_client: type[GraphQLClient]
) -> None:
    await bench_data.generate(server.rt, TINY)
    client = new_client()
    client.token = await bench_data.open_session(server.rt)
    home = (await client.execute(HOME))["employerHome"]
    assert home["establishmentName"] == "株式会社ハローワークベンチ"


@pytest.mark.slow
def test_the_command_fills_a_migrated_database(tmp_path: Path) -> None:
    env = service_env(tmp_path / "var")
    run_app_ok(env, "migrate")
    out = subprocess.run(
        [sys.executable, "-m", "bench.data", "--preset", "tiny", "--postings", "12"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    generated = json.loads(out.strip().splitlines()[-1])
    assert generated["counts"]["posting"] == 12
    assert generated["counts"]["message"] == TINY.messages
    assert generated["employer_email"] == bench_data.BENCH_EMAIL
