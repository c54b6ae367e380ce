from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.audit import AuditAction
from app.models.counter import NoticeKind, PreRegistrationStatus
from app.models.events import EventKind, QueueChange
from app.models.postings import PostingAction
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.indexes import Index

# SQLite alters a column by rebuilding its table, which drops the table's indexes and
# triggers: the audit trail's refusal of updates (0009) is made again, and the indexes.
SQLITE_REBUILT_INDEXES = {
    "audit_event": [(False, ["office_id", "id"]), (False, ["office_id", "action", "id"])],
    "event": [(False, ["establishment_id", "kind", "id"]), (False, ["seeker_id", "kind", "id"])],
    "posting_event": [(False, ["posting_id", "id"])],
}
AUDIT_REFUSES_UPDATE = (
    "CREATE TRIGGER IF NOT EXISTS audit_event_append_only BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
)


async def restore_sqlite_indexes(apps: object, editor: BaseSchemaEditor) -> None:
    if editor.client.capabilities.dialect != "sqlite":
        return
    for table, indexes in SQLITE_REBUILT_INDEXES.items():
        for unique, columns in indexes:
            name = editor._generate_index_name_for_table("uid" if unique else "idx", table, columns)
            listed = ", ".join(f'"{column}"' for column in columns)
            kind = "UNIQUE INDEX" if unique else "INDEX"
            await editor.client.execute_query(
                f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({listed})'
            )
    await editor.client.execute_query(AUDIT_REFUSES_UPDATE)


class Migration(migrations.Migration):
    dependencies = [("models", "0014_applicants_as_hello_work_shows_them")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EstablishmentPreRegistration",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "office",
                    fields.ForeignKeyField(
                        "models.Office",
                        source_field="office_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pre_registrations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=PreRegistrationStatus.UNVERIFIED,
                        description="UNVERIFIED: UNVERIFIED\nPENDING: PENDING\nCONFIRMED: CONFIRMED\nREFUSED: REFUSED\nVOID: VOID",
                        enum_type=PreRegistrationStatus,
                        max_length=10,
                    ),
                ),
                ("name", fields.CharField(description="事業所名", max_length=100)),
                ("name_kana", fields.CharField(description="事業所名（カナ）", max_length=200)),
                ("postal_code", fields.CharField(max_length=8)),
                ("prefecture", fields.CharField(description="都道府県", max_length=4)),
                ("city", fields.CharField(description="市区町村", max_length=50)),
                ("street", fields.CharField(description="町名番地・建物", max_length=200)),
                ("phone_number", fields.CharField(max_length=20)),
                ("industry", fields.CharField(description="産業（事業の内容）", max_length=100)),
                ("employee_count", fields.IntField(description="従業員数")),
                ("representative_title", fields.CharField(default="", max_length=50)),
                ("representative_name", fields.CharField(max_length=50)),
                ("contact_name", fields.CharField(description="担当者", max_length=50)),
                (
                    "contact_department",
                    fields.CharField(default="", description="担当者の部署", max_length=50),
                ),
                ("contact_phone", fields.CharField(default="", max_length=20)),
                (
                    "email",
                    fields.CharField(
                        db_index=True, description="the first login's", max_length=100
                    ),
                ),
                (
                    "key_hash",
                    fields.CharField(
                        description="the key that confirms the address", max_length=64
                    ),
                ),
                ("failed_attempts", fields.IntField(default=0)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="the key's", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "closed_at",
                    fields.DatetimeField(
                        null=True,
                        description="the key's: used or void",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("privacy_policy_version", fields.CharField(max_length=20)),
                ("terms_of_use_version", fields.CharField(max_length=20)),
                ("agreed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "verified_at",
                    fields.DatetimeField(
                        null=True,
                        description="entered the office's queue",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "reviewed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reviewed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pre_registrations_reviewed",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reviewed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("refusal_reason", fields.TextField(default="", unique=False)),
                (
                    "review_note",
                    fields.TextField(
                        default="", description="what staff checked (by phone)", unique=False
                    ),
                ),
                (
                    "establishment",
                    fields.ForeignKeyField(
                        "models.Establishment",
                        source_field="establishment_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pre_registrations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "establishment_pre_registration",
                "app": "models",
                "indexes": [
                    Index(fields=["office_id", "status", "verified_at"]),
                    Index(fields=["email", "status"]),
                ],
                "pk_attr": "id",
                "table_description": "事業所の仮登録: an establishment Hello Work does not know yet, entered online.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HelloWorkNotice",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "establishment",
                    fields.ForeignKeyField(
                        "models.Establishment",
                        source_field="establishment_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notices",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="POSTING_ACCEPTED: POSTING_ACCEPTED\nPOSTING_RETURNED: POSTING_RETURNED\nPOSTING_CORRECTED: POSTING_CORRECTED\nCOUNTER_REGISTRATION_DUE: COUNTER_REGISTRATION_DUE\nRESULT_REPORT_DUE: RESULT_REPORT_DUE\nLOGIN_EMAIL_RESET: LOGIN_EMAIL_RESET",
                        enum_type=NoticeKind,
                        max_length=30,
                    ),
                ),
                (
                    "posting",
                    fields.ForeignKeyField(
                        "models.Posting",
                        source_field="posting_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notices",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "application",
                    fields.ForeignKeyField(
                        "models.Application",
                        source_field="application_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notices",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title", fields.CharField(max_length=100)),
                ("body", fields.TextField(unique=False)),
                (
                    "due_on",
                    fields.DateField(null=True, description="the day something is due, if any"),
                ),
                (
                    "sent_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="sent_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notices_sent",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("dedup_key", fields.CharField(null=True, unique=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "read_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="read_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notices_read",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "hello_work_notice",
                "app": "models",
                "indexes": [
                    Index(fields=["establishment_id", "id"]),
                    Index(fields=["establishment_id", "read_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A notice in the establishment's inbox, beside its messages, read by any of its logins.",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="AuditEvent",
            name="action",
            field=fields.CharEnumField(
                description="LOGIN_SUCCEEDED: LOGIN_SUCCEEDED\nLOGIN_FAILED: LOGIN_FAILED\nOTP_FAILED: OTP_FAILED\nLOGIN_LOCKED: LOGIN_LOCKED\nLOGIN_UNLOCKED: LOGIN_UNLOCKED\nLOGOUT: LOGOUT\nACCOUNT_OPENED: ACCOUNT_OPENED\nACCOUNT_CODE_ISSUED: ACCOUNT_CODE_ISSUED\nACCOUNT_CODE_VOIDED: ACCOUNT_CODE_VOIDED\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGED: EMAIL_CHANGED\nLOGIN_INVITED: LOGIN_INVITED\nLOGIN_ADDED: LOGIN_ADDED\nLOGIN_REMOVED: LOGIN_REMOVED\nWITHDRAWN: WITHDRAWN\nSTAFF_CREATED: STAFF_CREATED\nESTABLISHMENT_REGISTERED: ESTABLISHMENT_REGISTERED\nESTABLISHMENT_CHANGE_REVIEWED: ESTABLISHMENT_CHANGE_REVIEWED\nPOSTING_ACCEPTED: POSTING_ACCEPTED\nPOSTING_RETURNED: POSTING_RETURNED\nIMAGE_REVIEWED: IMAGE_REVIEWED\nREFERRAL_CREATED: REFERRAL_CREATED\nOFFICE_EVENT_CREATED: OFFICE_EVENT_CREATED\nOFFICE_EVENT_CANCELLED: OFFICE_EVENT_CANCELLED\nPRE_REGISTRATION_CONFIRMED: PRE_REGISTRATION_CONFIRMED\nPRE_REGISTRATION_REFUSED: PRE_REGISTRATION_REFUSED\nPOSTING_ENTERED_BY_STAFF: POSTING_ENTERED_BY_STAFF\nPOSTING_CORRECTED: POSTING_CORRECTED\nLOGIN_EMAIL_RESET_AT_COUNTER: LOGIN_EMAIL_RESET_AT_COUNTER",
                enum_type=AuditAction,
                max_length=40,
            ),
        ),
        ops.AddField(
            model_name="Establishment",
            name="industry",
            field=fields.CharField(default="", description="産業（事業の内容）", max_length=100),
        ),
        ops.AlterField(
            model_name="Event",
            name="kind",
            field=fields.CharEnumField(
                description="MESSAGE_RECEIVED: MESSAGE_RECEIVED\nAPPLICATION_STATUS_CHANGED: APPLICATION_STATUS_CHANGED\nINTERVIEW_CHANGED: INTERVIEW_CHANGED\nNOTICE_RECEIVED: NOTICE_RECEIVED\nREVIEW_QUEUE_CHANGED: REVIEW_QUEUE_CHANGED",
                enum_type=EventKind,
                max_length=30,
            ),
        ),
        ops.AddField(
            model_name="Event",
            name="notice_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Event",
            name="office_id",
            field=fields.IntField(null=True, description="whose queue changed"),
        ),
        ops.AddField(
            model_name="Event",
            name="queue_change",
            field=fields.CharEnumField(
                null=True,
                description="ADDED: ADDED\nTAKEN: TAKEN\nREMOVED: REMOVED",
                enum_type=QueueChange,
                max_length=10,
            ),
        ),
        ops.AddField(
            model_name="Event",
            name="review_item_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Event",
            name="review_kind",
            field=fields.CharField(null=True, description="ReviewKind", max_length=30),
        ),
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["office_id", "kind", "id"]),
        ),
        ops.AddField(
            model_name="Posting",
            name="entered_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="entered_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="postings_entered",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AlterField(
            model_name="PostingEvent",
            name="action",
            field=fields.CharEnumField(
                description="CREATED: CREATED\nSUBMITTED: SUBMITTED\nWITHDRAWN: WITHDRAWN\nACCEPTED: ACCEPTED\nRETURNED: RETURNED\nSTOPPED: STOPPED\nEXPIRED: EXPIRED\nCHANGE_REQUESTED: CHANGE_REQUESTED\nCHANGE_ACCEPTED: CHANGE_ACCEPTED\nCHANGE_RETURNED: CHANGE_RETURNED\nRENEWAL_RESERVED: RENEWAL_RESERVED\nRENEWED: RENEWED\nREUSED: REUSED\nCOUNTER_CONFIRMED: COUNTER_CONFIRMED\nLAPSED: LAPSED\nRENEWAL_ACCEPTED: RENEWAL_ACCEPTED\nRENEWAL_RETURNED: RENEWAL_RETURNED\nCORRECTED: CORRECTED",
                enum_type=PostingAction,
                max_length=20,
            ),
        ),
        ops.AddField(
            model_name="PostingEvent",
            name="changes",
            field=fields.JSONField(
                null=True,
                description="what a correction changed: field, label, before, after",
                encoder=JSON_DUMPS,
                decoder=loads,
            ),
        ),
        ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop),
    ]
