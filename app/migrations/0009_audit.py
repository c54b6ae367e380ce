from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.audit import AuditAction
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

# The audit trail is append-only: the database itself refuses to change a row.
REFUSE_UPDATE = {
    "sqlite": (
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    ),
    "postgres": (
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ),
}
ALLOW_UPDATE = {
    "sqlite": ("DROP TRIGGER audit_event_append_only",),
    "postgres": (
        "DROP TRIGGER audit_event_append_only ON audit_event",
        "DROP FUNCTION audit_event_append_only()",
    ),
}


async def _run_each(statements: dict[str, str | tuple[str, ...]], editor: BaseSchemaEditor) -> None:
    # One statement at a time: the SQLite script runner splits a trigger body at its `;`.
    found = statements[editor.client.capabilities.dialect]
    for statement in (found,) if isinstance(found, str) else found:
        await editor.client.execute_query(statement)


async def refuse_update(apps: object, editor: BaseSchemaEditor) -> None:
    await _run_each(REFUSE_UPDATE, editor)


async def allow_update(apps: object, editor: BaseSchemaEditor) -> None:
    await _run_each(ALLOW_UPDATE, editor)

class Migration(migrations.Migration):
    dependencies = [('models', '0008_session_last_seen')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('action', fields.CharEnumField(description='LOGIN_SUCCEEDED: LOGIN_SUCCEEDED\nLOGIN_FAILED: LOGIN_FAILED\nOTP_FAILED: OTP_FAILED\nLOGIN_LOCKED: LOGIN_LOCKED\nLOGIN_UNLOCKED: LOGIN_UNLOCKED\nLOGOUT: LOGOUT\nACCOUNT_OPENED: ACCOUNT_OPENED\nACCOUNT_CODE_ISSUED: ACCOUNT_CODE_ISSUED\nACCOUNT_CODE_VOIDED: ACCOUNT_CODE_VOIDED\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGED: EMAIL_CHANGED\nLOGIN_INVITED: LOGIN_INVITED\nLOGIN_ADDED: LOGIN_ADDED\nLOGIN_REMOVED: LOGIN_REMOVED\nWITHDRAWN: WITHDRAWN\nSTAFF_CREATED: STAFF_CREATED\nESTABLISHMENT_REGISTERED: ESTABLISHMENT_REGISTERED\nESTABLISHMENT_CHANGE_REVIEWED: ESTABLISHMENT_CHANGE_REVIEWED\nPOSTING_ACCEPTED: POSTING_ACCEPTED\nPOSTING_RETURNED: POSTING_RETURNED\nIMAGE_REVIEWED: IMAGE_REVIEWED\nREFERRAL_CREATED: REFERRAL_CREATED\nOFFICE_EVENT_CREATED: OFFICE_EVENT_CREATED\nOFFICE_EVENT_CANCELLED: OFFICE_EVENT_CANCELLED', enum_type=AuditAction, max_length=40)),
                ('office_id', fields.IntField(null=True)),
                ('establishment_id', fields.IntField(null=True)),
                ('actor_id', fields.IntField(null=True, description='the login who acted, if signed in')),
                ('subject_id', fields.IntField(null=True, description='the login the event concerns')),
                ('client_address', fields.CharField(null=True, max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'indexes': [Index(fields=['office_id', 'id']), Index(fields=['office_id', 'action', 'id'])], 'pk_attr': 'id', 'table_description': 'One security event, appended and never changed.'},
            bases=['Model'],
        ),
        ops.RunPython(refuse_update, allow_update),
    ]
