"""Applicants' personal data (DESIGN.md §11) never leaves through the side doors: a day of
applicant work with distinctive names, contacts, 志望動機 and documents, then the logs (every
level, every logger), `/metrics`, the audit trail and every mail to anyone but the applicant
searched for them."""

from __future__ import annotations

import json
import logging
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfWriter

from app.models import AuditEvent, OutgoingMail, PersonalDataAccess
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Server, new_seeker

NAME = "個人情報 検査子"
KANA = "コジンジョウホウ ケンサコ"
PHONE = "090-4242-0042"
EMAIL = "pii.marker@example.jp"
CITY = "検査市検査町"
MOTIVATION = "PII-MARKER-MOTIVATION 志望動機です"
WALK_IN_NAME = "窓口 検査郎"
WALK_IN_PHONE = "080-4242-0043"
WALK_IN_EMAIL = "walkin.marker@example.jp"
FILE_NAME = "PII-MARKER-履歴書.pdf"
DOCUMENT_TEXT = "PIIMARKERDOCUMENT"

MARKERS = {
    "name": NAME,
    "kana": KANA,
    "phone": PHONE,
    "email": EMAIL,
    "city": CITY,
    "motivation": MOTIVATION,
    "walk-in name": WALK_IN_NAME,
    "walk-in phone": WALK_IN_PHONE,
    "walk-in email": WALK_IN_EMAIL,
    "file name": FILE_NAME,
    "document": DOCUMENT_TEXT,
}

PERSON = """query Person($id: ID!) { node(id: $id) { ... on Application { id
  person { name kana age city phone email hasMyPage } motivation
  documents { id fileName downloadUrl } } } }"""

UPLOAD = """mutation Upload($input: ApplicationDocumentUploadInput!) {
  applicationDocumentUpload(input: $input) { document { id downloadUrl }
    errors { field code message } } }"""

REFERRAL = """mutation Refer($input: ReferralCreateInput!) {
  referralCreate(input: $input) { application { id } errors { field code message } } }"""

REPORT = """mutation Report($input: ApplicationResultReportInput!) {
  applicationResultReport(input: $input) { application { id } errors { field code } } }"""

NOTIFY = """mutation Notify($input: ApplicationResultNotifyInput!) {
  applicationResultNotify(input: $input) { application { id } errors { field code } } }"""


def pdf_with(text: str) -> bytes:
    """A one-page PDF whose bytes carry `text` (in its document information)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def found_in(text: str) -> list[str]:
    return [name for name, marker in MARKERS.items() if marker in text]


async def _work(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker_client: GraphQLClient
) -> None:
    """Apply, upload, refer a walk-in, read them all, report and tell the results, export."""
    posting = await flows.active_posting(employer, staff)
    await new_seeker(server, seeker_client, EMAIL, name=NAME)
    await sf.update_profile(seeker_client, nameKana=KANA, phoneNumber=PHONE, city=CITY)
    application = await sf.apply(seeker_client, posting["id"], motivation=MOTIVATION)
    upload_input = {"applicationId": application["id"], "kind": "RESUME", "file": None}
    response = await seeker_client.http.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": UPLOAD,
                    "variables": {"input": upload_input},
                }
            ),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (FILE_NAME, pdf_with(DOCUMENT_TEXT), "application/pdf")},
        headers={"Authorization": f"Bearer {seeker_client.token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["applicationDocumentUpload"]["errors"] == []
    referred = await staff.execute(
        REFERRAL,
        {
            "input": {
                "postingId": posting["id"],
                "referralLetterNumber": "PII-1",
                "walkIn": {
                    "name": WALK_IN_NAME,
                    "kana": "マドグチ ケンサロウ",
                    "age": 33,
                    "phone": WALK_IN_PHONE,
                    "email": WALK_IN_EMAIL,
                },
            }
        },
    )
    assert referred["referralCreate"]["errors"] == []
    walk_in = referred["referralCreate"]["application"]["id"]

    for reader in (employer, staff):
        for application_id in (application["id"], walk_in):
            data = await reader.execute(PERSON, {"id": application_id})
            assert data["node"]["person"]["phone"] in (PHONE, WALK_IN_PHONE)
        documents = (await reader.execute(PERSON, {"id": application["id"]}))["node"]["documents"]
        download = await reader.http.get(
            documents[0]["downloadUrl"], headers={"Authorization": f"Bearer {reader.token}"}
        )
        assert download.status_code == 200
        assert DOCUMENT_TEXT.encode() in download.content

    for application_id in (application["id"], walk_in):
        moved = await sf.move(employer, application_id, "REJECTED", reason=f"不採用 {NAME}")
        assert moved["errors"] == [], moved
        reported = await staff.execute(
            REPORT,
            {
                "input": {
                    "applicationId": application_id,
                    "result": "REJECTED",
                    "rejectionReason": "OTHER",
                    "note": "電話で報告",
                }
            },
        )
        assert reported["applicationResultReport"]["errors"] == []
    told = await employer.execute(
        NOTIFY,
        {
            "input": {
                "applicationId": application["id"],
                "method": "MESSAGE",
                "message": "選考の結果、今回はご希望に添えない結果となりました。",
            }
        },
    )
    assert told["applicationResultNotify"]["errors"] == []
    export = await employer.http.get(
        f"/exports/applications.csv?posting={posting['id']}",
        headers={"Authorization": f"Bearer {employer.token}"},
    )
    assert export.status_code == 200
    assert NAME in export.content.decode("utf-8-sig")


async def test_names_contacts_and_documents_stay_out_of_logs_metrics_audit_and_mail(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    new_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seeker_client = new_client()
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG):
            await _work(server, staff, employer, seeker_client)
            await server.mail_settled()
    finally:
        root.removeHandler(caplog.handler)

    # The checks can see: the work really read the data, and each read was recorded.
    assert await PersonalDataAccess.all().count() >= 8
    # The service's records, at every level (the test's own HTTP client logs what it got).
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.__dict__!r}"
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert logged, "nothing was logged: the search below would prove nothing"
    assert found_in(logged) == [], [line for line in logged.splitlines() if EMAIL in line][:3]

    metrics = await staff.http.get("/metrics")
    assert metrics.status_code == 200
    assert "graphql" in metrics.text
    assert found_in(metrics.text) == []

    details = [json.dumps(event.detail, ensure_ascii=False) for event in await AuditEvent.all()]
    assert details
    assert found_in("\n".join(details)) == []

    # Mail to the establishment (new applications, messages) and anyone but the applicant.
    mails = await OutgoingMail.exclude(to=EMAIL)
    assert mails, "no notification mail was written: the search would prove nothing"
    assert found_in("\n".join(f"{m.subject}\n{m.body}" for m in mails)) == []
