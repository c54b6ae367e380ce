"""The authorization matrix (DESIGN.md §10, issue 6): every root field of the live schema,
called by six viewers, checked against a declared table; and zero leaks of establishment A's
objects to anyone not entitled, by ID, by `node`, by connection and by subscription.

Viewers: anonymous, seeker K, E_A (employer of establishment A), E_B (employer of B, same
office), S_A (staff of A's office) and S_X (staff of another office). The world is the one of
`tests.authz_world`; every call aims at A's objects.

Outcome classes:
  OK                 data, no error (for a mutation: an empty `errors`)
  EMPTY              allowed, but sees nothing: null, an empty list or an empty connection
  UNAUTHENTICATED    top-level error, extensions.code UNAUTHENTICATED
  FORBIDDEN          top-level error, extensions.code FORBIDDEN
  NOT_FOUND          a mutation's UserError NOT_FOUND (the object is not the viewer's)
  USER_ERROR:<CODES> a mutation's UserErrors with these codes (a domain answer)

A new root field without a row in QUERIES, MUTATIONS or SUBSCRIPTIONS fails
`test_every_root_field_has_a_row`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    Lexer,
    Source,
    TokenKind,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    parse,
)
from graphql.pyutils import Undefined

from app.models import Event
from app.schema import schema
from app.schema.extensions import query_cost
from app.schema.subscriptions import event_cursor
from app.settings import Settings
from app.terms import TermsKind, current_version
from tests.authz_world import (
    A_NUMBER,
    CHANGE_MARKER,
    DOCUMENT_MARKER,
    E_B_EMAIL,
    IMAGE_MARKER,
    INTERVIEW_MARKER,
    K_CITY,
    K_EMAIL,
    K_KANA,
    K_NAME,
    K_PHONE,
    MESSAGE_MARKER,
    MOTIVATION_MARKER,
    NOTE_MARKER,
    REQUEST_MARKER,
    SUBMITTED_MARKER,
    UPLOAD,
    VIEWERS,
    W_NAME,
    W_PHONE,
    World,
    build_world,
    establishment_profile,
    event_input,
    interview_input,
    leaks,
    png,
    post_upload,
)
from tests.conftest import Server
from tests.flows import posting_content
from tests.test_pre_registration import entry as pre_registration_entry
from tests.ws_client import GraphQLWebSocket

GRAPHQL = schema._schema

OK = "OK"
EMPTY = "EMPTY"
UNAUTH = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
# A field under the answer is refused (OfficeEvent.registrations, staff of the event's office
# only): null with a FORBIDDEN error at its path, the rest of the answer intact.
NESTED_FORBIDDEN = "NESTED_ERROR:FORBIDDEN"


# The outcomes of a mutation that went through (the answer may lose a refused nested field).
CHANGES = (OK, NESTED_FORBIDDEN)


def user_error(*codes: str) -> str:
    return "USER_ERROR:" + ",".join(sorted(codes))


Args = Callable[[World, str], dict[str, Any]]


def _no_args(world: World, viewer: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    expect: dict[str, str]
    args: Args = _no_args


def row(
    anonymous: str,
    K: str,
    E_A: str,
    E_B: str,
    S_A: str,
    S_X: str,
    args: Args = _no_args,
) -> Row:
    return Row(
        {"anonymous": anonymous, "K": K, "E_A": E_A, "E_B": E_B, "S_A": S_A, "S_X": S_X}, args
    )


def inputs(make: Callable[[World, str], dict[str, Any]]) -> Args:
    return lambda world, viewer: {"input": make(world, viewer)}


def ids(**names: str) -> Args:
    """Arguments that are global IDs of the world: argument → name in `World.ids`."""
    return lambda world, viewer: {arg: world.ids[name] for arg, name in names.items()}


# --- The declared table -----------------------------------------------------------------------
#                 anonymous  K          E_A        E_B        S_A        S_X

QUERIES: dict[str, Row] = {
    "viewer": row(EMPTY, OK, OK, OK, OK, OK),
    "employerLogins": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "employerLoginInvitations": row(UNAUTH, FORBIDDEN, EMPTY, EMPTY, FORBIDDEN, FORBIDDEN),
    "employerHome": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "postings": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "postingReviewQueue": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, EMPTY),
    "postingSearch": row(OK, OK, OK, OK, OK, OK),
    "postingCheck": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        OK,  # an answer whose only error says the posting is not found: no content of it
        OK,
        OK,
        inputs(lambda w, v: {"id": w.ids["posting_a"]}),
    ),
    "postingForm": row(OK, OK, OK, OK, OK, OK),
    "minimumWages": row(OK, OK, OK, OK, OK, OK),
    "seekerProfile": row(UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "counterSeeker": row(
        UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, lambda w, v: {"email": K_EMAIL}
    ),
    "seekerSearch": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "myRequests": row(UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "applications": row(
        UNAUTH, FORBIDDEN, OK, EMPTY, FORBIDDEN, FORBIDDEN, ids(postingId="posting_a")
    ),
    "applicationCounts": row(UNAUTH, FORBIDDEN, OK, EMPTY, FORBIDDEN, FORBIDDEN),
    "resultReportsDue": row(UNAUTH, FORBIDDEN, OK, EMPTY, OK, EMPTY),
    "personalDataAccessLog": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, EMPTY),
    "myApplications": row(UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "messageThreads": row(UNAUTH, OK, OK, EMPTY, FORBIDDEN, FORBIDDEN),
    "messages": row(UNAUTH, OK, OK, EMPTY, FORBIDDEN, FORBIDDEN, ids(threadId="thread")),
    "establishmentImages": row(
        UNAUTH, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN, ids(establishmentId="establishment_a")
    ),
    "officeEvents": row(
        UNAUTH, FORBIDDEN, NESTED_FORBIDDEN, NESTED_FORBIDDEN, OK, NESTED_FORBIDDEN
    ),
    "reviewQueue": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, EMPTY),
    "termsDocuments": row(OK, OK, OK, OK, OK, OK),
    "auditEvents": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
    "establishments": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, EMPTY),
    "helloWorkNotices": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "eventCursor": row(UNAUTH, OK, OK, OK, OK, OK),
    "node": row(EMPTY, EMPTY, OK, EMPTY, OK, EMPTY, ids(id="posting_a")),
    "nodes": row(EMPTY, EMPTY, OK, EMPTY, OK, EMPTY, lambda w, v: {"ids": [w.ids["posting_a"]]}),
}


def _bogus(world: World, viewer: str) -> str:
    return f"{viewer.lower()}-nobody@example.jp"


MUTATIONS: dict[str, Row] = {
    # Accounts: inputs that cannot succeed, so nobody's login changes (wrong keys, no such
    # address); what matters is that no viewer gets more than the domain answer.
    "login": row(
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        args=inputs(lambda w, v: {"portal": "EMPLOYER", "email": _bogus(w, v), "password": "x"}),
    ),
    "loginVerifyOtp": row(
        user_error("OTP_INVALID"),
        user_error("OTP_INVALID"),
        user_error("OTP_INVALID"),
        user_error("OTP_INVALID"),
        user_error("OTP_INVALID"),
        user_error("OTP_INVALID"),
        args=inputs(lambda w, v: {"challengeId": w.ids["login_a"], "otp": "000000"}),
    ),
    "employerRegistrationRequest": row(
        user_error("REGISTRATION_DETAILS_INVALID"),
        user_error("REGISTRATION_DETAILS_INVALID"),
        user_error("REGISTRATION_DETAILS_INVALID"),
        user_error("REGISTRATION_DETAILS_INVALID"),
        user_error("REGISTRATION_DETAILS_INVALID"),
        user_error("REGISTRATION_DETAILS_INVALID"),
        args=inputs(
            lambda w, v: {
                "email": _bogus(w, v),
                "emailConfirmation": _bogus(w, v),
                "establishmentNumber": A_NUMBER,
                "phoneNumber": "03-3812-0001",
                "accountCreationCode": "WRONG1",
                "agreedPrivacyPolicyVersion": current_version(TermsKind.PRIVACY_POLICY),
                "agreedTermsVersion": current_version(TermsKind.TERMS_OF_USE),
            }
        ),
    ),
    "employerRegistrationComplete": row(
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        args=inputs(
            lambda w, v: {
                "email": _bogus(w, v),
                "authKey": "WRONGKEY",
                "password": "Another#pass1",
                "passwordConfirmation": "Another#pass1",
            }
        ),
    ),
    "employerLoginAdd": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"email": f"added-{v.lower()}@example.jp"}),
    ),
    "employerInvitationAccept": row(
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        args=inputs(
            lambda w, v: {
                "email": _bogus(w, v),
                "key": "WRONGKEY",
                "password": "Another#pass1",
                "passwordConfirmation": "Another#pass1",
            }
        ),
    ),
    "employerLoginRemove": row(
        UNAUTH,
        FORBIDDEN,
        user_error("LAST_ACTIVE_LOGIN"),
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"userId": w.ids["login_a"]}),
    ),
    "passwordResetRequest": row(
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        args=inputs(lambda w, v: {"portal": "EMPLOYER", "email": _bogus(w, v)}),
    ),
    "passwordResetComplete": row(
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        args=inputs(
            lambda w, v: {
                "portal": "EMPLOYER",
                "email": _bogus(w, v),
                "key": "WRONGKEY",
                "password": "Another#pass1",
                "passwordConfirmation": "Another#pass1",
            }
        ),
    ),
    "emailChangeRequest": row(
        UNAUTH,
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        FORBIDDEN,  # staff logins are managed by the office, not by mail
        FORBIDDEN,
        args=inputs(lambda w, v: {"newEmail": _bogus(w, v), "password": "Wrong#pass1"}),
    ),
    "emailChangeConfirm": row(
        UNAUTH,
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"key": "WRONGKEY"}),
    ),
    "loginUnlock": row(
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        user_error("AUTH_KEY_INVALID"),
        args=inputs(lambda w, v: {"email": _bogus(w, v), "key": "WRONGKEY"}),
    ),
    "accountWithdraw": row(
        UNAUTH,
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        user_error("INVALID_CREDENTIALS"),
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"password": "Wrong#pass1"}),
    ),
    # Establishments.
    "establishmentRegister": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        OK,
        args=inputs(
            lambda w, v: {
                "establishmentNumber": {"S_A": "1301-333333-3", "S_X": "2701-444444-4"}.get(
                    v, "1301-555555-5"
                ),
                "name": "株式会社新規登録",
                "nameKana": "カブシキガイシャシンキトウロク",
                "phoneNumber": "03-3812-0099",
                "postalCode": "112-0001",
                "address": "東京都文京区白山1-1-1",
            }
        ),
    ),
    "accountCreationCodeIssue": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"establishmentId": w.ids["establishment_a"]}),
    ),
    # Postings, all aimed at P_A (active), so most moves are a domain answer for E_A.
    "postingCreate": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"content": posting_content()}),
    ),
    # Staff enter a posting for an establishment of their office from a paper form.
    "postingEnterForEstablishment": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(
            lambda w, v: {"establishmentId": w.ids["establishment_a"], "content": posting_content()}
        ),
    ),
    "postingUpdate": row(
        UNAUTH,
        FORBIDDEN,
        user_error("INVALID_STATE"),
        NOT_FOUND,
        FORBIDDEN,  # staff edit only the postings they entered
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"id": w.ids["posting_a"], "content": posting_content()}),
    ),
    "postingSubmit": row(
        UNAUTH,
        FORBIDDEN,
        user_error("INVALID_STATE"),
        NOT_FOUND,
        FORBIDDEN,  # staff edit only the postings they entered
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"id": w.ids["posting_a"]}),
    ),
    "postingWithdraw": row(
        UNAUTH,
        FORBIDDEN,
        user_error("INVALID_STATE"),
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"id": w.ids["posting_a"]}),
    ),
    "postingRenewalReserve": row(
        UNAUTH,
        FORBIDDEN,
        user_error("RENEWAL_NOT_OPEN"),
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"id": w.ids["posting_a"]}),
    ),
    "postingReuse": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"id": w.ids["posting_a"]}),
    ),
    "postingCounterConfirm": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        user_error("INVALID_STATE"),
        NOT_FOUND,
        args=inputs(lambda w, v: {"id": w.ids["submitted_a"]}),
    ),
    # Staff correct minor points of a submitted posting before accepting it.
    "postingCorrect": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(
            lambda w, v: {
                "id": w.ids["submitted_a"],
                "content": {"numberToHire": 3},
                "note": "電話で採用人数を確認",
            }
        ),
    ),
    "postingAccept": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"id": w.ids["submitted_a"]}),
    ),
    "postingChangeRequest": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(
            lambda w, v: {"id": w.ids["posting_a"], "content": posting_content(numberToHire=3)}
        ),
    ),
    "postingReturn": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"id": w.ids["posting_a"], "reason": "変更は認められません"}),
    ),
    # Seekers.
    "seekerRegister": row(
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        args=inputs(
            lambda w, v: {
                "email": f"new-{v.lower()}@example.jp",
                "emailConfirmation": f"new-{v.lower()}@example.jp",
                "password": "Seeker#pass2",
                "passwordConfirmation": "Seeker#pass2",
                "displayName": "新規 登録",
            }
        ),
    ),
    "seekerVerifyEmail": row(
        user_error("VERIFICATION_KEY_INVALID"),
        user_error("VERIFICATION_KEY_INVALID"),
        user_error("VERIFICATION_KEY_INVALID"),
        user_error("VERIFICATION_KEY_INVALID"),
        user_error("VERIFICATION_KEY_INVALID"),
        user_error("VERIFICATION_KEY_INVALID"),
        args=inputs(lambda w, v: {"email": _bogus(w, v), "key": "WRONGKEY"}),
    ),
    "seekerProfileUpdate": row(
        UNAUTH,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(
            lambda w, v: {
                "desiredJob": "介護職員",
                "desiredPrefecture": "東京都",
                "experience": "特別養護老人ホームで5年",
                "licenses": "介護福祉士",
                "published": True,
            }
        ),
    ),
    "seekerRequestSend": row(
        UNAUTH,
        FORBIDDEN,
        user_error("ALREADY_EXISTS"),
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(
            lambda w, v: {"postingId": w.ids["posting_a"], "seekerProfileId": w.ids["profile_k"]}
        ),
    ),
    # Applications.
    "applicationCreate": row(
        UNAUTH,
        user_error("ALREADY_EXISTS"),
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"postingId": w.ids["posting_a"]}),
    ),
    "referralCreate": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        user_error("ALREADY_EXISTS"),
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(
            lambda w, v: {
                "postingId": w.ids["posting_a"],
                "seekerId": w.ids["profile_k"],
                "referralLetterNumber": "R-1",
            }
        ),
    ),
    "applicationStatusUpdate": row(
        UNAUTH,
        user_error("ILLEGAL_TRANSITION"),
        OK,
        NOT_FOUND,
        user_error("ILLEGAL_TRANSITION"),  # staff only record a 辞退
        NOT_FOUND,
        args=inputs(lambda w, v: {"applicationId": w.ids["application"], "status": "SCREENING"}),
    ),
    "applicationStatusBulkUpdate": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"applicationIds": [w.ids["application"]], "status": "INTERVIEW"}),
    ),
    "applicationResultReport": row(
        UNAUTH,
        NOT_FOUND,  # the report is between the establishment and Hello Work
        OK,
        NOT_FOUND,
        OK,  # a report the employer phoned in
        NOT_FOUND,
        args=inputs(lambda w, v: {"applicationId": w.ids["application"], "result": "WITHDRAWN"}),
    ),
    "applicationResultNotify": row(
        UNAUTH,
        FORBIDDEN,
        user_error("INVALID_STATE"),  # no result decided yet
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"applicationId": w.ids["application"], "method": "PHONE"}),
    ),
    # Messages.
    "messageSend": row(
        UNAUTH,
        OK,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"body": f"返信 {v}", "threadId": w.ids["thread"]}),
    ),
    "messageMarkRead": row(
        UNAUTH,
        OK,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"threadId": w.ids["thread"]}),
    ),
    "establishmentImageReorder": row(
        UNAUTH,
        FORBIDDEN,
        OK,  # the same order, while A has one image
        user_error("MISMATCH"),  # not every image of B: nothing of A is said
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"imageIds": [w.ids["image"]]}),
    ),
    "applicationDocumentUpload": row(
        UNAUTH,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(
            lambda w, v: {"applicationId": w.ids["application"], "kind": "OTHER", "file": None}
        ),
    ),
    # The establishment's internal notes: nobody else's, not even its office's.
    "applicationNoteAdd": row(
        UNAUTH,
        NOT_FOUND,
        OK,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        args=inputs(lambda w, v: {"applicationId": w.ids["application"], "body": f"メモ {v}"}),
    ),
    "applicationNoteEdit": row(
        UNAUTH,
        NOT_FOUND,
        OK,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        args=inputs(lambda w, v: {"noteId": w.ids["note"], "body": NOTE_MARKER}),
    ),
    "applicationNoteDelete": row(
        UNAUTH,
        NOT_FOUND,
        OK,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        args=inputs(lambda w, v: {"noteId": w.ids["note"]}),
    ),
    "interviewSchedule": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: interview_input(w.ids["application"], INTERVIEW_MARKER)),
    ),
    "interviewCancel": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"interviewId": w.ids["interview"], "reason": "日程変更"}),
    ),
    # Images (the upload is a multipart request; see `_call`).
    "establishmentImageUpload": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"file": None, "caption": f"新しい画像 {v}"}),
    ),
    "establishmentImageCaptionUpdate": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"imageId": w.ids["image"], "caption": IMAGE_MARKER}),
    ),
    # Office events.
    "officeEventCreate": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        OK,
        args=inputs(lambda w, v: event_input(f"説明会 {v}")),
    ),
    "officeEventRegisterInterest": row(
        UNAUTH,
        FORBIDDEN,
        user_error("ALREADY_EXISTS"),
        NESTED_FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"eventId": w.ids["event"]}),
    ),
    "officeEventWithdrawInterest": row(
        UNAUTH,
        FORBIDDEN,
        NESTED_FORBIDDEN,
        NESTED_FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"eventId": w.ids["event"]}),
    ),
    # Those that end A's objects come last: each runs once every denial has been checked.
    "postingStop": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"id": w.ids["posting_a"], "reason": "募集を終了します"}),
    ),
    "imageReview": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"imageId": w.ids["image"], "approve": True}),
    ),
    "establishmentImageDelete": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"imageId": w.ids["image"]}),
    ),
    "establishmentChangeReview": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"changeId": w.ids["change"], "approve": True}),
    ),
    "officeEventCancel": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,  # another office's object looks like none at all
        args=inputs(lambda w, v: {"eventId": w.ids["event"]}),
    ),
    # Replaces A's pending change (reviewed above) with a new one.
    "establishmentUpdate": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: establishment_profile("新しい事業内容", "03-3812-0001")),
    ),
    # The counter's side (issue 16).
    "establishmentPreRegister": row(
        OK,
        OK,
        OK,
        OK,
        OK,
        OK,
        args=inputs(
            lambda w, v: pre_registration_entry(
                email=_bogus(w, v), emailConfirmation=_bogus(w, v), name=f"{v}の事業所"
            )
        ),
    ),
    "establishmentPreRegisterVerify": row(
        *[user_error("AUTH_KEY_INVALID")] * 6,
        args=inputs(lambda w, v: {"email": f"{v.lower()}-entry@example.jp", "key": "WRONGKEY1"}),
    ),
    # A refusal without its reason is a domain answer; the confirmation then succeeds.
    "establishmentPreRegistrationRefuse": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        user_error("REQUIRED"),
        NOT_FOUND,
        args=inputs(
            lambda w, v: {
                "preRegistrationId": w.ids["pre_registration"],
                "reason": "" if v == "S_A" else "所在地を確認できません",
            }
        ),
    ),
    "establishmentConfirm": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        args=inputs(lambda w, v: {"preRegistrationId": w.ids["pre_registration"]}),
    ),
    # An address already taken: staff of the office get the domain answer, nothing changes.
    "loginEmailResetAtCounter": row(
        UNAUTH,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        user_error("EMAIL_TAKEN"),
        NOT_FOUND,
        args=inputs(
            lambda w, v: {
                "loginId": w.ids["login_a"],
                "newEmail": E_B_EMAIL,
                "newEmailConfirmation": E_B_EMAIL,
                "identityCheck": "運転免許証で本人確認",
            }
        ),
    ),
    "helloWorkNoticeMarkRead": row(
        UNAUTH,
        FORBIDDEN,
        OK,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        args=inputs(lambda w, v: {"ids": [w.ids["notice"]]}),
    ),
    "logout": row(UNAUTH, OK, OK, OK, OK, OK),
}

# Subscriptions over graphql-transport-ws: anonymous cannot even open the connection (4403).
SUBSCRIPTIONS: dict[str, Row] = {
    "messageReceived": row(UNAUTH, OK, OK, OK, FORBIDDEN, FORBIDDEN),
    "applicationStatusChanged": row(UNAUTH, OK, OK, OK, FORBIDDEN, FORBIDDEN),
    "interviewChanged": row(UNAUTH, OK, OK, OK, FORBIDDEN, FORBIDDEN),
    "noticeReceived": row(UNAUTH, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN),
    "reviewQueueChanged": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
}

# The streams that the talk of A and K below does not feed: what they deliver (replays of the
# viewer's own) is checked for leaks only.
QUIET_SUBSCRIPTIONS = ("noticeReceived", "reviewQueueChanged")


# --- Documents generated from the schema ------------------------------------------------------


def _optional_args(field: GraphQLField) -> bool:
    return all(
        not is_non_null_type(arg.type) or arg.default_value is not Undefined
        for arg in field.args.values()
    )


def _fields(type_: GraphQLObjectType, depth: int, skip: frozenset[str] = frozenset()) -> str:
    parts = ["__typename"]
    for name, field in type_.fields.items():
        if name in skip or not _optional_args(field):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            parts.append(name)
        elif depth > 0:
            page = "(first: 2)" if "first" in field.args else ""
            parts.append(f"{name}{page} {_selection(named, depth - 1)}")
    return " ".join(parts)


def _conflicting(types: list[GraphQLObjectType]) -> frozenset[str]:
    """Fields that several types of a union or interface have with different types: they
    cannot be selected side by side without aliases (and aliases are limited)."""
    seen: dict[str, set[str]] = {}
    for type_ in types:
        for name, field in type_.fields.items():
            seen.setdefault(name, set()).add(str(field.type))
    return frozenset(name for name, kinds in seen.items() if len(kinds) > 1)


def _selection(named: GraphQLNamedType, depth: int) -> str:
    if is_leaf_type(named):
        return ""
    if is_abstract_type(named):
        possible_types = list(GRAPHQL.get_possible_types(named))
        skip = _conflicting(possible_types)
        fragments = " ".join(
            f"... on {possible.name} {{ {_fields(possible, depth, skip)} }}"
            for possible in possible_types
        )
        return f"{{ __typename {fragments} }}"
    assert isinstance(named, GraphQLObjectType)
    return f"{{ {_fields(named, depth)} }}"


def _tokens(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def _depth(document: str) -> int:
    depth = deepest = 0
    for char in document:
        depth += char == "{"
        depth -= char == "}"
        deepest = max(deepest, depth)
    return deepest


def document(operation: str, name: str, variables: dict[str, Any]) -> str:
    """`name` called with `variables`, selecting as much as the limits allow (every scalar,
    objects as deep as fits), so that whatever a viewer may read, the answer shows."""
    root = {
        "query": GRAPHQL.query_type,
        "mutation": GRAPHQL.mutation_type,
        "subscription": GRAPHQL.subscription_type,
    }[operation]
    assert root is not None
    field = root.fields[name]
    definitions = ", ".join(f"${arg}: {field.args[arg].type}" for arg in variables)
    call = ", ".join(f"{arg}: ${arg}" for arg in variables)
    head = f"{operation} ({definitions})" if definitions else operation
    named = get_named_type(field.type)
    for depth in (4, 3, 2, 1, 0):
        text = f"{head} {{ {name}{f'({call})' if call else ''} {_selection(named, depth)} }}"
        fits = (
            _tokens(text) <= Settings.query_max_tokens * 0.9
            and _depth(text) <= Settings.query_max_depth - 1
            and query_cost(parse(text), None, variables) <= Settings.query_max_cost * 0.8
        )
        if fits:
            return text
    raise AssertionError(f"no document of {name} fits the limits")


def _node_document(type_name: str) -> str:
    named = GRAPHQL.get_type(type_name)
    assert isinstance(named, GraphQLObjectType)
    for depth in (3, 2, 1, 0):
        text = (
            "query ($id: ID!) { node(id: $id) { __typename id "
            f"... on {type_name} {{ {_fields(named, depth)} }} }} }}"
        )
        if (
            _tokens(text) <= Settings.query_max_tokens * 0.9
            and _depth(text) <= Settings.query_max_depth - 1
            and query_cost(parse(text), None, {}) <= Settings.query_max_cost * 0.8
        ):
            return text
    raise AssertionError(f"no node document of {type_name} fits the limits")


# --- Calling and classifying ------------------------------------------------------------------


def classify(body: dict[str, Any], name: str, operation: str) -> str:
    errors = body.get("errors") or []
    if errors:
        codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
        nested = any(len(e.get("path") or []) > 1 for e in errors)
        label = ",".join(codes)
        if nested:
            return f"NESTED_ERROR:{label}"
        if label in (UNAUTH, FORBIDDEN):
            return label
        return f"ERROR:{label}"
    value = (body.get("data") or {}).get(name)
    if operation == "mutation":
        assert value is not None, body
        codes = sorted({error["code"] for error in value["errors"]})
        if not codes:
            return OK
        return NOT_FOUND if codes == [NOT_FOUND] else user_error(*codes)
    nothing = value is None or (isinstance(value, list) and all(v is None for v in value))
    if nothing or (isinstance(value, dict) and value.get("edges") == []):
        return EMPTY
    return OK


@dataclass
class Call:
    name: str
    viewer: str
    outcome: str
    text: str


async def _call(
    world: World, operation: str, name: str, viewer: str, variables: dict[str, Any]
) -> Call:
    client = world.client(viewer)
    text = document(operation, name, variables)
    if name == "establishmentImageUpload":
        response = await post_upload(client, UPLOAD, variables, png(len(viewer)))
    elif name == "applicationDocumentUpload":
        response = await post_upload(client, text, variables, png(len(viewer) + 10))
    else:
        response = await client.post(text, variables)
    assert response.status_code in (200, 401, 403), (name, viewer, response.text)
    body = response.json()
    return Call(name, viewer, classify(body, name, operation), response.text)


class Findings:
    """Every mismatch and leak, reported together at the end."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.wrong: list[str] = []
        self.leaked: list[str] = []

        self.seen: dict[str, list[str]] = {viewer: [] for viewer in VIEWERS}

    def check(self, call: Call, expected: str | None) -> None:
        self.seen[call.viewer].append(call.text)
        if expected is not None and call.outcome != expected:
            self.wrong.append(
                f"{call.name} as {call.viewer}: expected {expected}, got {call.outcome}: "
                f"{call.text[:300]}"
            )
        found = leaks(self.world, call.viewer, call.text)
        if found:
            self.leaked.append(f"{call.name} as {call.viewer} leaked {found}: {call.text[:400]}")

    def assert_clean(self) -> None:
        report = "\n".join(
            ["WRONG OUTCOMES:", *self.wrong, "LEAKS:", *self.leaked]
            if self.wrong or self.leaked
            else []
        )
        assert not self.leaked, report
        assert not self.wrong, report


# --- The table is the schema ------------------------------------------------------------------


async def test_every_root_field_has_a_row() -> None:
    assert GRAPHQL.subscription_type is not None
    assert GRAPHQL.mutation_type is not None
    for operation, root, table in (
        ("Query", GRAPHQL.query_type, QUERIES),
        ("Mutation", GRAPHQL.mutation_type, MUTATIONS),
        ("Subscription", GRAPHQL.subscription_type, SUBSCRIPTIONS),
    ):
        assert root is not None
        missing = sorted(set(root.fields) - set(table))
        stale = sorted(set(table) - set(root.fields))
        assert not missing, f"{operation} fields without a row in the matrix: {missing}"
        assert not stale, f"rows of the matrix for no {operation} field: {stale}"
    for table in (QUERIES, MUTATIONS, SUBSCRIPTIONS):
        for name, declared in table.items():
            assert set(declared.expect) == set(VIEWERS), name


# --- Queries ----------------------------------------------------------------------------------

# A's objects, by the name in `World.ids`, their type and who may reach them by `node` (with
# the answer's class where it is not OK).
NODES: dict[str, tuple[str, dict[str, str]]] = {
    "establishment_a": ("Establishment", {"E_A": OK, "S_A": OK}),
    "posting_a": ("Posting", {"E_A": OK, "S_A": OK}),
    "submitted_a": ("Posting", {"E_A": OK, "S_A": OK}),
    "application": ("Application", {"K": OK, "E_A": OK, "S_A": OK}),
    "walk_in": ("Application", {"E_A": OK, "S_A": OK}),
    "document": ("ApplicationDocument", {"K": OK, "E_A": OK, "S_A": OK}),
    "note": ("ApplicationNote", {"E_A": OK}),
    "interview": ("Interview", {"K": OK, "E_A": OK, "S_A": OK}),
    "thread": ("MessageThread", {"K": OK, "E_A": OK}),
    "message": ("Message", {"K": OK, "E_A": OK}),
    "request": ("SeekerRequest", {"K": OK, "E_A": OK}),
    "image": ("EstablishmentImage", {"E_A": OK, "S_A": OK}),
    "change": ("EstablishmentChange", {"E_A": OK, "S_A": OK}),
    "login_a": ("EmployerLogin", {"E_A": OK}),
    "event": (
        "OfficeEvent",
        {"E_A": NESTED_FORBIDDEN, "E_B": NESTED_FORBIDDEN, "S_A": OK, "S_X": NESTED_FORBIDDEN},
    ),
    "office_a": ("Office", {"E_A": OK, "E_B": OK, "S_A": OK}),
    "profile_k": ("SeekerProfile", {"K": OK}),
    "posting_b": ("Posting", {"E_B": OK, "S_A": OK}),
    "change_b": ("EstablishmentChange", {"E_B": OK, "S_A": OK}),
    "pre_registration": ("EstablishmentPreRegistration", {"S_A": OK}),
    "notice": ("HelloWorkNotice", {"E_A": OK}),
}

# Further calls, checked for leaks and for no top-level error other than the usual denials:
# the connections without a filter, and lookups of A's objects by other arguments.
PROBES: list[tuple[str, Args]] = [
    ("applications", _no_args),
    ("applications", lambda w, v: {"status": "APPLIED"}),
    ("postings", lambda w, v: {"status": "SUBMITTED"}),
    ("postings", lambda w, v: {"status": "ACTIVE"}),
    ("establishmentImages", _no_args),
    ("messages", ids(threadId="message")),
    ("postingSearch", lambda w, v: {"keyword": "LEAK-CHECK"}),
    ("seekerSearch", lambda w, v: {"keyword": "介護"}),
    ("establishmentImages", ids(establishmentId="posting_a")),
    ("applications", ids(postingId="submitted_a")),
]


async def test_queries_and_nodes_match_the_table_without_leaks(
    server: Server, new_client: Any
) -> None:
    world = await build_world(server, new_client)
    findings = Findings(world)
    for name, declared in QUERIES.items():
        for viewer in VIEWERS:
            call = await _call(world, "query", name, viewer, declared.args(world, viewer))
            findings.check(call, declared.expect[viewer])

    for object_name, (type_name, entitled) in NODES.items():
        text = _node_document(type_name)
        for viewer in VIEWERS:
            response = await world.client(viewer).post(text, {"id": world.ids[object_name]})
            body = response.json()
            call = Call(
                f"node({object_name})", viewer, classify(body, "node", "query"), response.text
            )
            findings.check(call, entitled.get(viewer, EMPTY))

    for name, args in PROBES:
        for viewer in VIEWERS:
            call = await _call(world, "query", name, viewer, args(world, viewer))
            expected = QUERIES[name].expect[viewer]
            if call.outcome == "ERROR:BAD_USER_INPUT":
                # An ID of the wrong type, or a missing one, is refused before anything else:
                # even anonymous callers learn only that the input is wrong.
                findings.check(call, None)
            elif expected in (UNAUTH, NESTED_FORBIDDEN):
                findings.check(call, expected)
            else:
                findings.check(call, None)
                if call.outcome.startswith(("ERROR", "NESTED")):
                    findings.wrong.append(f"probe {name} as {viewer}: {call.text[:300]}")
    # The markers are really in the answers of those entitled: the checks can see a leak.
    e_a = "\n".join(findings.seen["E_A"])
    s_a = "\n".join(findings.seen["S_A"])
    k = "\n".join(findings.seen["K"])
    for marker in (MESSAGE_MARKER, IMAGE_MARKER, CHANGE_MARKER, SUBMITTED_MARKER, A_NUMBER):
        assert marker in e_a, marker
    for marker in (K_NAME, K_PHONE, K_KANA, K_CITY, MOTIVATION_MARKER, W_NAME, W_PHONE):
        assert marker in e_a, marker
    for marker in (DOCUMENT_MARKER, INTERVIEW_MARKER):
        assert marker in e_a, marker
        assert marker in k, marker
        assert marker in s_a, marker
    assert NOTE_MARKER in e_a
    for marker in (IMAGE_MARKER, CHANGE_MARKER, SUBMITTED_MARKER, A_NUMBER, K_EMAIL):
        assert marker in s_a, marker
    for marker in (K_NAME, K_PHONE, K_KANA, K_CITY, MOTIVATION_MARKER, W_NAME, W_PHONE):
        assert marker in s_a, marker
    for marker in (MESSAGE_MARKER, REQUEST_MARKER, K_NAME, K_PHONE, MOTIVATION_MARKER):
        assert marker in k, marker
    for name in ("application", "thread", "message", "image", "change", "login_a", "request"):
        assert world.ids[name] in e_a, name
    findings.assert_clean()


# --- Mutations --------------------------------------------------------------------------------

STATE = """query ($posting: ID!, $application: ID!, $image: ID!, $change: ID!, $thread: ID!) {
  posting: node(id: $posting) { ... on Posting { status pendingContent { numberToHire } } }
  application: node(id: $application) { ... on Application { status } }
  image: node(id: $image) { ... on EstablishmentImage { status caption } }
  change: node(id: $change) { ... on EstablishmentChange { status } }
  thread: node(id: $thread) { ... on MessageThread { lastMessage { body } } }
}"""


async def _state_of_a(world: World) -> dict[str, Any]:
    """A's objects as E_A sees them."""
    names = ("posting", "application", "image", "change", "thread")
    variables = {name: world.ids["posting_a" if name == "posting" else name] for name in names}
    return await world.client("E_A").execute(STATE, variables)


async def test_mutations_match_the_table_without_leaks(server: Server, new_client: Any) -> None:
    world = await build_world(server, new_client)
    findings = Findings(world)
    before = await _state_of_a(world)
    calls = [
        (name, viewer, declared)
        for name, declared in MUTATIONS.items()
        for viewer in VIEWERS
        if name != "logout"
    ]
    # First every call that must change nothing: denials and domain answers.
    for name, viewer, declared in calls:
        if declared.expect[viewer] not in CHANGES:
            call = await _call(world, "mutation", name, viewer, declared.args(world, viewer))
            findings.check(call, declared.expect[viewer])
    # None of them touched A.
    assert await _state_of_a(world) == before
    # Then the allowed ones, in the table's order: the last ones end A's objects.
    for name, viewer, declared in calls:
        if declared.expect[viewer] in CHANGES:
            call = await _call(world, "mutation", name, viewer, declared.args(world, viewer))
            findings.check(call, declared.expect[viewer])
    for viewer in VIEWERS:
        call = await _call(world, "mutation", "logout", viewer, {})
        findings.check(call, MUTATIONS["logout"].expect[viewer])
    findings.assert_clean()


# --- Subscriptions ----------------------------------------------------------------------------

SUBSCRIBE = {
    "messageReceived": """subscription ($after: String) {
      messageReceived(after: $after) { cursor message { id body sender createdAt
        thread { id } } } }""",
    "applicationStatusChanged": """subscription ($after: String) {
      applicationStatusChanged(after: $after) { cursor fromStatus toStatus reason at
        application { id status posting { id } applicant { profileId } } } }""",
    "interviewChanged": """subscription ($after: String) {
      interviewChanged(after: $after) { cursor change
        interview { id startsAt place cancelledAt } application { id status } } }""",
    "noticeReceived": """subscription ($after: String) {
      noticeReceived(after: $after) { cursor notice { id kind title body createdAt
        posting { id } } } }""",
    "reviewQueueChanged": """subscription ($after: String) {
      reviewQueueChanged(after: $after) { cursor change kind itemId at item { __typename
        ... on Posting { id content { jobTitle } }
        ... on EstablishmentImage { id caption }
        ... on EstablishmentChange { id }
        ... on EstablishmentPreRegistration { id name email } } } }""",
}


async def _first_message(ws: GraphQLWebSocket, within: float) -> dict[str, Any] | None:
    try:
        return await ws.receive(within)
    except TimeoutError:
        return None


async def _drain(ws: GraphQLWebSocket, within: float) -> list[str]:
    """Every message that arrives until `within` seconds pass without one."""
    texts = []
    while (message := await _first_message(ws, within)) is not None:
        texts.append(json.dumps(message, ensure_ascii=False))
    return texts


async def test_subscriptions_match_the_table_and_deliver_nothing_of_a_to_others(
    server: Server, new_client: Any
) -> None:
    world = await build_world(server, new_client)
    findings = Findings(world)

    for name, declared in SUBSCRIPTIONS.items():
        assert declared.expect["anonymous"] == UNAUTH
        async with GraphQLWebSocket.open(server.url) as ws:
            await ws.send({"type": "connection_init", "payload": {}})
            closed = await ws.closed()
            assert closed.code == 4403, (name, closed)

    latest = await Event.all().order_by("-id").first()
    now = event_cursor(latest.id if latest else 0)
    # Each viewer subscribes twice to each field: from now, and replaying everything stored.
    async with (
        GraphQLWebSocket.connected(server.url, world.tokens["K"]) as k,
        GraphQLWebSocket.connected(server.url, world.tokens["E_A"]) as e_a,
        GraphQLWebSocket.connected(server.url, world.tokens["E_B"]) as e_b,
        GraphQLWebSocket.connected(server.url, world.tokens["S_A"]) as s_a,
        GraphQLWebSocket.connected(server.url, world.tokens["S_X"]) as s_x,
    ):
        sockets = {"K": k, "E_A": e_a, "E_B": e_b, "S_A": s_a, "S_X": s_x}
        operations: dict[tuple[str, str, str], str] = {}
        for viewer, ws in sockets.items():
            for name in SUBSCRIPTIONS:
                operations[(viewer, name, "now")] = await ws.subscribe(
                    SUBSCRIBE[name], {"after": now}
                )
                operations[(viewer, name, "replay")] = await ws.subscribe(
                    SUBSCRIBE[name], {"after": event_cursor(0)}
                )

        # Each viewer's refused operations answer at once, with FORBIDDEN; what else arrives
        # meanwhile (the replays of the allowed ones) is kept for the checks below.
        denied: dict[str, set[str]] = {}
        pending: dict[str, list[dict[str, Any]]] = {viewer: [] for viewer in sockets}
        for viewer, ws in sockets.items():
            denied[viewer] = {
                operations[(viewer, name, mode)]
                for name, declared in SUBSCRIPTIONS.items()
                if declared.expect[viewer] == FORBIDDEN
                for mode in ("now", "replay")
            }
            refused: dict[str, str] = {}
            while len(refused) < len(denied[viewer]):
                message = await ws.receive()
                text = json.dumps(message, ensure_ascii=False)
                findings.check(Call("subscription", viewer, "-", text), None)
                if message.get("id") not in denied[viewer]:
                    pending[viewer].append(message)
                    continue
                if message["type"] == "complete":
                    continue
                errors = (
                    message["payload"]
                    if message["type"] == "error"
                    else message["payload"]["errors"]
                )
                refused[message["id"]] = ",".join(
                    sorted({error["extensions"]["code"] for error in errors})
                )
            for name, declared in SUBSCRIPTIONS.items():
                for mode in ("now", "replay"):
                    got = refused.get(operations[(viewer, name, mode)], OK)
                    findings.check(
                        Call(f"{name} ({mode})", viewer, got, ""), declared.expect[viewer]
                    )

        async def arrivals(viewer: str, within: float) -> list[dict[str, Any]]:
            """What the viewer's allowed operations delivered, kept or arriving within
            `within` seconds of each other; the refused ones' last words are dropped."""
            kept, pending[viewer] = pending[viewer], []
            while (message := await _first_message(sockets[viewer], within)) is not None:
                kept.append(message)
            return [message for message in kept if message.get("id") not in denied[viewer]]

        quiet = {
            viewer: {
                operations[(viewer, name, mode)]
                for name in QUIET_SUBSCRIPTIONS
                if SUBSCRIPTIONS[name].expect[viewer] == OK
                for mode in ("now", "replay")
            }
            for viewer in sockets
        }

        # Give the allowed subscriptions time to start, then A and K talk and A moves K.
        await asyncio.sleep(0.3)
        sent = await world.client("K").execute(
            """mutation ($input: MessageSendInput!) { messageSend(input: $input) {
              errors { code } } }""",
            {"input": {"body": MESSAGE_MARKER + " 2", "threadId": world.ids["thread"]}},
        )
        assert sent["messageSend"]["errors"] == []
        reply = await world.client("E_A").execute(
            """mutation ($input: MessageSendInput!) { messageSend(input: $input) {
              errors { code } } }""",
            {"input": {"body": MESSAGE_MARKER + " 3", "threadId": world.ids["thread"]}},
        )
        assert reply["messageSend"]["errors"] == []
        moved = await world.client("E_A").execute(
            """mutation ($input: ApplicationStatusUpdateInput!) {
              applicationStatusUpdate(input: $input) { errors { code } } }""",
            {"input": {"applicationId": world.ids["application"], "status": "SCREENING"}},
        )
        assert moved["applicationStatusUpdate"]["errors"] == []

        # The parties receive them (replays first, then the new events)...
        received: dict[str, list[str]] = {"K": [], "E_A": []}
        for viewer in ("K", "E_A"):
            for delivery in await arrivals(viewer, 1.5):
                text = json.dumps(delivery, ensure_ascii=False)
                assert delivery["type"] == "next", text
                assert "errors" not in delivery["payload"], text
                findings.check(Call("subscription", viewer, OK, text), OK)
                received[viewer].append(text)
        e_a_text = "\n".join(received["E_A"])
        k_text = "\n".join(received["K"])
        # Each hears the other side's message, not its own; both hear of the move.
        assert MESSAGE_MARKER + " 2" in e_a_text
        assert MESSAGE_MARKER + " 3" not in e_a_text
        assert MESSAGE_MARKER + " 3" in k_text
        assert MESSAGE_MARKER + " 2" not in k_text
        assert "SCREENING" in e_a_text
        assert "SCREENING" in k_text
        # ... and nobody else anything at all: only the replays of their own notices and
        # queue, which are checked for leaks.
        for viewer in ("E_B", "S_A", "S_X"):
            for message in await arrivals(viewer, 0.5):
                text = json.dumps(message, ensure_ascii=False)
                findings.check(Call("subscription", viewer, OK, text), None)
                if message.get("id") not in quiet[viewer]:
                    findings.leaked.append(f"subscription delivered to {viewer}: {text[:400]}")

        # E_B's subscriptions do work: K applies to P_B and B moves K; E_B hears of that only.
        applied = await world.client("K").execute(
            """mutation ($input: ApplicationCreateInput!) { applicationCreate(input: $input) {
              application { id } errors { code } } }""",
            {"input": {"postingId": world.ids["posting_b"]}},
        )
        application_b = applied["applicationCreate"]["application"]["id"]
        moved = await world.client("E_B").execute(
            """mutation ($input: ApplicationStatusUpdateInput!) {
              applicationStatusUpdate(input: $input) { errors { code } } }""",
            {"input": {"applicationId": application_b, "status": "SCREENING"}},
        )
        assert moved["applicationStatusUpdate"]["errors"] == []
        delivered = await _drain(e_b, 1.5)
        assert any("SCREENING" in text and application_b in text for text in delivered), delivered
        for text in delivered:
            findings.check(Call("subscription", "E_B", OK, text), None)
            assert application_b in text, text
    findings.assert_clean()
