"""The world of the authorization matrix: its parties made as tests/conftest.py makes them, the
rest through the public API.

Office 13010 with staff S_A and two establishments: A (employer E_A, an active posting P_A, a
submitted posting waiting for review, an application from seeker K, a message thread with K,
a direct request to K, an image waiting for review, a profile change waiting for review, an
office event it registered for) and B (employer E_B, an active posting P_B). Staff S_X of
office 27010, seeker K with a published profile, and anonymous.

A's objects carry distinctive markers in fields that are never public, so a response can be
searched for them: whoever is not entitled must never see one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from strawberry import relay

from app.models import HelloWorkNotice
from app.models.counter import NoticeKind
from tests import flows, seeker_flows
from tests import test_pre_registration as pre_registration_flows
from tests.conftest import (
    GraphQLClient,
    Server,
    new_employer,
    new_establishment,
    new_seeker,
    new_staff,
)

VIEWERS = ("anonymous", "K", "E_A", "E_B", "S_A", "S_X")

A_NUMBER = "1301-111111-1"
B_NUMBER = "1301-222222-2"
E_A_EMAIL = "hr@a-secret.example.jp"
E_B_EMAIL = "hr@b.example.jp"
K_EMAIL = "k.secret@example.jp"
K_NAME = "漏洩検査 花子"
K_PHONE = "090-9876-5432"
K_KANA = "ロウエイケンサ ハナコ"
K_CITY = "漏洩検査市"
W_NAME = "窓口紹介 漏洩"
W_PHONE = "080-5555-0199"

MESSAGE_MARKER = "LEAK-CHECK-MESSAGE"
CHANGE_MARKER = "LEAK-CHECK-CHANGE"
IMAGE_MARKER = "LEAK-CHECK-IMAGE"
SUBMITTED_MARKER = "LEAK-CHECK-SUBMITTED"
REQUEST_MARKER = "LEAK-CHECK-REQUEST"
B_MARKER = "LEAK-CHECK-B-PENDING"
MOTIVATION_MARKER = "LEAK-CHECK-MOTIVATION"
DOCUMENT_MARKER = "LEAK-CHECK-DOCUMENT"
NOTE_MARKER = "LEAK-CHECK-NOTE"
INTERVIEW_MARKER = "LEAK-CHECK-INTERVIEW-ROOM"
PRE_REGISTRATION_NAME = "株式会社漏洩検査仮登録"
PRE_REGISTRATION_EMAIL = "entry.secret@example.jp"

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id thread { id } } errors { field code message } }
}"""

REQUEST_SEND = """mutation ($input: SeekerRequestSendInput!) {
  seekerRequestSend(input: $input) { request { id } errors { field code message } }
}"""

ESTABLISHMENT_UPDATE = """mutation ($input: EstablishmentUpdateInput!) {
  establishmentUpdate(input: $input) { change { id } errors { field code message } }
}"""

EVENT_CREATE = """mutation ($input: OfficeEventCreateInput!) {
  officeEventCreate(input: $input) { officeEvent { id } errors { field code message } }
}"""

EVENT_REGISTER = """mutation ($id: ID!) {
  officeEventRegisterInterest(input: {eventId: $id}) { officeEvent { id }
    errors { field code message } }
}"""

REFERRAL = """mutation ($input: ReferralCreateInput!) {
  referralCreate(input: $input) { application { id } errors { field code message } }
}"""

DOCUMENT_UPLOAD = """mutation ($input: ApplicationDocumentUploadInput!) {
  applicationDocumentUpload(input: $input) { document { id } errors { field code message } }
}"""

NOTE_ADD = """mutation ($input: ApplicationNoteAddInput!) {
  applicationNoteAdd(input: $input) { note { id } errors { field code message } }
}"""

INTERVIEW_SCHEDULE = """mutation ($input: InterviewScheduleInput!) {
  interviewSchedule(input: $input) { interview { id } errors { field code message } }
}"""

UPLOAD = """mutation ($input: EstablishmentImageUploadInput!) {
  establishmentImageUpload(input: $input) { image { id } errors { field code message } }
}"""


def png(index: int = 0) -> bytes:
    picture = Image.new("RGB", (16, 8), (index * 40 % 256, 100, 200))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


async def post_upload(
    client: GraphQLClient,
    document: str,
    variables: dict[str, Any],
    content: bytes,
    file_name: str = "picture.png",
) -> Any:
    """The GraphQL multipart request, the file at `variables.input.file`."""
    headers = (
        {"Authorization": f"Bearer {client.token}"}
        if client.token
        else {"Apollo-Require-Preflight": "true"}
    )
    return await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": document, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (file_name, content, "application/octet-stream")},
        headers=headers,
    )


def establishment_profile(business_content: str, phone: str) -> dict[str, Any]:
    return {
        "name": "株式会社ハローワークケア",
        "nameKana": "カブシキガイシャハローワークケア",
        "postalCode": "112-8577",
        "address": "東京都文京区後楽1-9-20",
        "phoneNumber": phone,
        "businessContent": business_content,
        "features": "職員の定着率が高い職場です。",
        "representativeTitle": "代表取締役",
        "representativeName": "後楽 一郎",
        "employeeCount": 120,
        "workplaceEmployeeCount": 45,
        "foundedYear": 1998,
        "capitalYen": 30_000_000,
        "website": "https://care.example.jp/",
        "notificationEmail": "",
    }


def interview_input(application_id: str, place: str) -> dict[str, Any]:
    return {
        "applicationId": application_id,
        "startsAt": "2026-12-03T10:00:00+09:00",
        "durationMinutes": 60,
        "place": place,
    }


def event_input(title: str) -> dict[str, Any]:
    return {
        "kind": "JOB_FAIR",
        "title": title,
        "description": "介護・福祉分野の事業所が集まる面接会です。",
        "target": "介護・福祉分野の事業所",
        "startsAt": "2026-12-10T13:00:00+09:00",
        "endsAt": "2026-12-10T16:00:00+09:00",
        "venue": "文京シビックセンター",
        "prefecture": "東京都",
        "capacity": 5,
    }


@dataclass
class World:
    clients: dict[str, GraphQLClient]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)
    """Global IDs by name: establishment_a, posting_a, submitted_a, application, walk_in,
    document, note, interview, thread, message, image, change, login_a, request, event,
    office_a, profile_k, posting_b, establishment_b, office_x, pre_registration (an online
    entry waiting in the queue of A's office), notice (Hello Work's notice to A)."""

    def client(self, viewer: str) -> GraphQLClient:
        return self.clients[viewer]


async def _mutate(
    client: GraphQLClient, document: str, name: str, variables: dict[str, Any]
) -> dict[str, Any]:
    data = await client.execute(document, variables)
    payload: dict[str, Any] = data[name]
    assert payload["errors"] == [], payload
    return payload


async def build_world(server: Server, new_client: Any) -> World:
    clients: dict[str, GraphQLClient] = {viewer: new_client() for viewer in VIEWERS}
    s_a = await new_staff(server, clients["S_A"], "13010")
    s_x = await new_staff(server, clients["S_X"], "27010")
    ids: dict[str, str] = {}

    counter_a = await new_establishment(server, s_a, A_NUMBER, "03-3812-0001")
    counter_b = await new_establishment(server, s_a, B_NUMBER, "03-3812-0002")
    ids["establishment_a"] = counter_a.establishment_id
    ids["establishment_b"] = counter_b.establishment_id
    e_a = clients["E_A"]
    e_b = clients["E_B"]
    await new_employer(server, e_a, counter_a, E_A_EMAIL)
    await new_employer(server, e_b, counter_b, E_B_EMAIL)

    posting_a = await flows.active_posting(e_a, s_a)
    posting_b = await flows.active_posting(e_b, s_a, jobTitle="倉庫作業員")
    ids["posting_a"] = posting_a["id"]
    ids["posting_b"] = posting_b["id"]
    submitted = await flows.create_posting(e_a, jobTitle=SUBMITTED_MARKER)
    await flows.posting_step(e_a, "postingSubmit", {"id": submitted["id"]})
    ids["submitted_a"] = submitted["id"]

    seeker = await new_seeker(server, clients["K"], K_EMAIL, name=K_NAME)
    await seeker_flows.update_profile(
        clients["K"], phoneNumber=K_PHONE, nameKana=K_KANA, city=K_CITY, published=True
    )
    ids["profile_k"] = seeker.profile_id
    application = await seeker_flows.apply(
        clients["K"], ids["posting_a"], motivation=MOTIVATION_MARKER
    )
    ids["application"] = application["id"]
    walk_in = await _mutate(
        s_a,
        REFERRAL,
        "referralCreate",
        {
            "input": {
                "postingId": ids["posting_a"],
                "referralLetterNumber": "W-1",
                "walkIn": {"name": W_NAME, "kana": "マドグチ", "age": 40, "phone": W_PHONE},
            }
        },
    )
    ids["walk_in"] = walk_in["application"]["id"]
    response = await post_upload(
        clients["K"],
        DOCUMENT_UPLOAD,
        {"input": {"applicationId": ids["application"], "kind": "RESUME", "file": None}},
        png(7),
        file_name=f"{DOCUMENT_MARKER}.png",
    )
    assert response.status_code == 200, response.text
    uploaded_document = response.json()["data"]["applicationDocumentUpload"]
    assert uploaded_document["errors"] == [], uploaded_document
    ids["document"] = uploaded_document["document"]["id"]
    note = await _mutate(
        e_a,
        NOTE_ADD,
        "applicationNoteAdd",
        {"input": {"applicationId": ids["application"], "body": NOTE_MARKER}},
    )
    ids["note"] = note["note"]["id"]
    interview = await _mutate(
        e_a,
        INTERVIEW_SCHEDULE,
        "interviewSchedule",
        {"input": interview_input(ids["application"], INTERVIEW_MARKER)},
    )
    ids["interview"] = interview["interview"]["id"]
    # E_A reads who applied once, so that the office's access log has a row to show.
    await e_a.execute(
        "query ($id: ID!) { node(id: $id) { ... on Application { person { name } } } }",
        {"id": ids["application"]},
    )

    sent = await _mutate(
        clients["K"],
        SEND,
        "messageSend",
        {"input": {"body": MESSAGE_MARKER, "applicationId": ids["application"]}},
    )
    ids["message"] = sent["message"]["id"]
    ids["thread"] = sent["message"]["thread"]["id"]

    request = await _mutate(
        e_a,
        REQUEST_SEND,
        "seekerRequestSend",
        {
            "input": {
                "postingId": ids["posting_a"],
                "seekerProfileId": ids["profile_k"],
                "message": REQUEST_MARKER,
            }
        },
    )
    ids["request"] = request["request"]["id"]

    response = await post_upload(
        e_a, UPLOAD, {"input": {"file": None, "caption": IMAGE_MARKER}}, png()
    )
    assert response.status_code == 200, response.text
    uploaded = response.json()["data"]["establishmentImageUpload"]
    assert uploaded["errors"] == [], uploaded
    ids["image"] = uploaded["image"]["id"]

    change = await _mutate(
        e_a,
        ESTABLISHMENT_UPDATE,
        "establishmentUpdate",
        {"input": establishment_profile(CHANGE_MARKER, "03-3812-0001")},
    )
    ids["change"] = change["change"]["id"]
    # B has a pending change too, which E_A must never see.
    change_b = await _mutate(
        e_b,
        ESTABLISHMENT_UPDATE,
        "establishmentUpdate",
        {"input": establishment_profile(B_MARKER, "03-3812-0002")},
    )
    ids["change_b"] = change_b["change"]["id"]

    event = await _mutate(
        s_a, EVENT_CREATE, "officeEventCreate", {"input": event_input("文京区合同就職面接会")}
    )
    ids["event"] = event["officeEvent"]["id"]
    await _mutate(e_a, EVENT_REGISTER, "officeEventRegisterInterest", {"id": ids["event"]})

    logins = await e_a.execute("{ employerLogins { id isViewer } }")
    ids["login_a"] = logins["employerLogins"][0]["id"]
    offices = await s_a.execute("{ viewer { office { id } } }")
    ids["office_a"] = offices["viewer"]["office"]["id"]
    offices = await s_x.execute("{ viewer { office { id } } }")
    ids["office_x"] = offices["viewer"]["office"]["id"]

    # An establishment not known yet entered itself online; it waits in the office's queue.
    await pre_registration_flows.entered(
        server,
        new_client(),
        PRE_REGISTRATION_EMAIL,
        name=PRE_REGISTRATION_NAME,
        prefecture="東京都",
        city="文京区",
    )
    ids["pre_registration"] = await pre_registration_flows.waiting_id(s_a, PRE_REGISTRATION_NAME)
    # Accepting P_A put Hello Work's notice in A's inbox.
    notice = await HelloWorkNotice.filter(
        establishment__number=A_NUMBER, kind=NoticeKind.POSTING_ACCEPTED
    ).first()
    assert notice is not None
    ids["notice"] = str(relay.to_base64("HelloWorkNotice", notice.id))

    tokens = {viewer: c.token for viewer, c in clients.items() if c.token}
    return World(clients, tokens, ids)


# --- Leak markers -----------------------------------------------------------------------------

# A's objects whose global ID only A's employers and A's office's staff may ever see.
_A_ESTABLISHMENT_SIDE = (
    "submitted_a",
    "image",
    "change",
    "login_a",
    "establishment_a",
    "walk_in",
    "notice",
)
# A's objects that seeker K also takes part in.
_A_SHARED_WITH_K = ("application", "thread", "message", "request")
# K's, shown to A and its office's staff alone.
_K_FOR_A = ("document", "interview")


def forbidden_markers(world: World, viewer: str) -> dict[str, str]:
    """What must never appear in any answer to `viewer`: marker name → text."""
    ids = world.ids
    a_secrets = {
        **{f"id:{name}": ids[name] for name in _A_ESTABLISHMENT_SIDE},
        "change body": CHANGE_MARKER,
        "image caption": IMAGE_MARKER,
        "submitted job title": SUBMITTED_MARKER,
        "E_A email": E_A_EMAIL,
        "A establishment number": A_NUMBER,
        "note body": NOTE_MARKER,
        "id:note": ids["note"],
    }
    # The online entry waiting in A's office: for the staff of that office alone.
    entry = {
        "id:pre_registration": ids["pre_registration"],
        "entry name": PRE_REGISTRATION_NAME,
        "entry email": PRE_REGISTRATION_EMAIL,
    }
    shared_with_k = {
        **{f"id:{name}": ids[name] for name in _A_SHARED_WITH_K},
        "message body": MESSAGE_MARKER,
        "request message": REQUEST_MARKER,
    }
    # Who applied: K's person and 志望動機 for K, the establishment applied to and its office's
    # staff; the walk-in's for those two alone (a_secrets).
    k_pii = {
        "K name": K_NAME,
        "K email": K_EMAIL,
        "K phone": K_PHONE,
        "K kana": K_KANA,
        "K city": K_CITY,
        "K motivation": MOTIVATION_MARKER,
        "K document": DOCUMENT_MARKER,
        "K interview": INTERVIEW_MARKER,
        **{f"id:{name}": ids[name] for name in _K_FOR_A},
    }
    a_secrets |= {"walk-in name": W_NAME, "walk-in phone": W_PHONE}
    b_secrets = {
        "id:posting_b": ids["posting_b"],
        "id:change_b": ids["change_b"],
        "B change body": B_MARKER,
        "B establishment number": B_NUMBER,
        "E_B email": E_B_EMAIL,
    }
    if viewer == "anonymous":
        return {**a_secrets, **shared_with_k, "id:posting_a": ids["posting_a"], **k_pii,
                **b_secrets, **entry}  # fmt: skip
    if viewer == "K":
        # K sees P_A's ID through the direct request (to answer it), and its own data.
        return {**a_secrets, **b_secrets, **entry}
    if viewer == "E_A":
        return {**b_secrets, **entry}
    if viewer == "E_B":
        return {**a_secrets, **shared_with_k, "id:posting_a": ids["posting_a"], **k_pii,
                **entry}  # fmt: skip
    if viewer == "S_A":
        # Staff of the office see A and B, and who applied to them (K's contact too), never
        # the messages and requests between A and K.
        return {
            # Internal notes and Hello Work's notices to it are the establishment's alone.
            "note body": NOTE_MARKER,
            "id:note": ids["note"],
            "id:notice": ids["notice"],
            "id:thread": ids["thread"],
            "id:message": ids["message"],
            "id:request": ids["request"],
            "message body": MESSAGE_MARKER,
            "request message": REQUEST_MARKER,
        }
    assert viewer == "S_X"
    return {
        **a_secrets,
        **entry,
        **shared_with_k,
        "id:posting_a": ids["posting_a"],
        # Staff anywhere find K's name and email at the counter (counterSeeker), never the
        # rest of who applied to A.
        **{name: marker for name, marker in k_pii.items() if name not in ("K name", "K email")},
        **b_secrets,
    }


def leaks(world: World, viewer: str, text: str) -> list[str]:
    """The names of the forbidden markers found in `text`."""
    return [name for name, marker in forbidden_markers(world, viewer).items() if marker in text]
