from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.applications import DocumentFormat, DocumentKind, NoticeMethod, PersonalDataKind, RejectionReason, ReportedResult
from app.models.events import EventKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

# The record of reads of personal data is append-only, as the audit trail (0009) is.
REFUSE_UPDATE = {
    "sqlite": (
        "CREATE TRIGGER personal_data_access_append_only BEFORE UPDATE ON personal_data_access "
        "BEGIN SELECT RAISE(ABORT, 'personal_data_access is append-only'); END",
    ),
    "postgres": (
        "CREATE FUNCTION personal_data_access_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'personal_data_access is append-only'; END $$",
        "CREATE TRIGGER personal_data_access_append_only BEFORE UPDATE ON personal_data_access "
        "FOR EACH ROW EXECUTE FUNCTION personal_data_access_append_only()",
    ),
}
ALLOW_UPDATE = {
    "sqlite": ("DROP TRIGGER personal_data_access_append_only",),
    "postgres": (
        "DROP TRIGGER personal_data_access_append_only ON personal_data_access",
        "DROP FUNCTION personal_data_access_append_only()",
    ),
}


async def refuse_update(apps: object, editor: BaseSchemaEditor) -> None:
    # One statement at a time: the SQLite script runner splits a trigger body at its `;`.
    for statement in REFUSE_UPDATE[editor.client.capabilities.dialect]:
        await editor.client.execute_query(statement)


async def allow_update(apps: object, editor: BaseSchemaEditor) -> None:
    for statement in ALLOW_UPDATE[editor.client.capabilities.dialect]:
        await editor.client.execute_query(statement)


async def report_past_results(apps: object, editor: BaseSchemaEditor) -> None:
    """Until now the status was also the result reported to Hello Work (with its 採用日):
    what was HIRED or REJECTED stays reported, as of its last change."""
    await editor.client.execute_query(
        "UPDATE application SET reported_result = status, reported_at = updated_at "
        "WHERE status IN ('HIRED', 'REJECTED')"
    )


# SQLite alters a column by rebuilding its table, which drops the table's indexes.
SQLITE_REBUILT_INDEXES = {
    "application": [
        (True, ["posting_id", "seeker_id"]),
        (False, ["posting_id", "status"]),
        (False, ["establishment_id", "id"]),
        (False, ["establishment_id", "status", "id"]),
        (False, ["establishment_id", "reported_result", "id"]),
    ],
    "event": [(False, ["establishment_id", "kind", "id"]), (False, ["seeker_id", "kind", "id"])],
    "seeker_profile": [(True, ["user_id"]), (False, ["published", "desired_prefecture"])],
}


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

class Migration(migrations.Migration):
    dependencies = [('models', '0013_posting_form_2026')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApplicationDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='RESUME: RESUME\nCAREER_HISTORY: CAREER_HISTORY\nOTHER: OTHER', enum_type=DocumentKind, max_length=20)),
                ('file_format', fields.CharEnumField(description='PDF: PDF\nJPEG: JPEG\nPNG: PNG', enum_type=DocumentFormat, max_length=10)),
                ('file_name', fields.CharField(description='the name it was uploaded with', max_length=100)),
                ('size', fields.IntField(description='bytes')),
                ('content_hash', fields.CharField(description='sha256 of the bytes', max_length=64)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='documents_uploaded', on_delete=OnDelete.RESTRICT)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application_document', 'app': 'models', 'indexes': [Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A document (履歴書, 職務経歴書) the seeker attached: its bytes are stored once under'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='application_notes', on_delete=OnDelete.RESTRICT)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_by', fields.ForeignKeyField('models.User', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='application_notes_edited', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'application_note', 'app': 'models', 'indexes': [Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': "An internal note on an application, for the establishment's logins only."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Interview',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='interviews', on_delete=OnDelete.RESTRICT)),
                ('establishment_id', fields.IntField(description="the application's, for the dashboards")),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration_minutes', fields.IntField()),
                ('place', fields.CharField(default='', description='会場', max_length=200)),
                ('online_url', fields.CharField(default='', description='オンライン面接のURL', max_length=500)),
                ('note', fields.TextField(default='', description='持ち物等、応募者への連絡事項', unique=False)),
                ('scheduled_by', fields.ForeignKeyField('models.User', source_field='scheduled_by_id', db_constraint=True, to_field='id', related_name='interviews_scheduled', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'interview', 'app': 'models', 'indexes': [Index(fields=['application_id', 'starts_at']), Index(fields=['establishment_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'An interview (面接) of an applicant: when, and where or the online link. A cancelled'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersonalDataAccess',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reader_id', fields.IntField(description='the login who read')),
                ('office_id', fields.IntField()),
                ('establishment_id', fields.IntField()),
                ('application_id', fields.IntField(null=True, description='null for a whole-posting export')),
                ('posting_id', fields.IntField(null=True)),
                ('kind', fields.CharEnumField(description='CONTACT: CONTACT\nDOCUMENT: DOCUMENT\nREFERRAL_LETTER: REFERRAL_LETTER\nEXPORT: EXPORT', enum_type=PersonalDataKind, max_length=20)),
                ('document_id', fields.IntField(null=True)),
            ],
            options={'table': 'personal_data_access', 'app': 'models', 'indexes': [Index(fields=['office_id', 'id']), Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': "One read of an applicant's personal data: who, when, which application, what."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Application',
            name='hire_date',
            field=fields.DateField(null=True, description='採用予定日 (入社日), reported with 採用'),
        ),
        ops.AlterField(
            model_name='Application',
            name='seeker',
            field=fields.ForeignKeyField('models.User', source_field='seeker_id', null=True, description='null for a person without a My Page, referred at the counter (walk_in_*)', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Application',
            name='motivation',
            field=fields.TextField(default='', description='志望動機, of an online application', unique=False),
        ),
        ops.AddField(
            model_name='Application',
            name='notified_at',
            field=fields.DatetimeField(null=True, description='選考結果連絡: when told', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Application',
            name='notified_by',
            field=fields.ForeignKeyField('models.User', source_field='notified_by_id', null=True, db_constraint=True, to_field='id', related_name='result_notices', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Application',
            name='notified_method',
            field=fields.CharEnumField(null=True, description='MESSAGE: MESSAGE\nPHONE: PHONE\nEMAIL: EMAIL\nPOST: POST\nIN_PERSON: IN_PERSON', enum_type=NoticeMethod, max_length=10),
        ),
        ops.AddField(
            model_name='Application',
            name='referred_by',
            field=fields.ForeignKeyField('models.User', source_field='referred_by_id', null=True, db_constraint=True, to_field='id', related_name='referrals', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Application',
            name='rejection_reason',
            field=fields.CharEnumField(null=True, description='SKILLS: SKILLS\nLICENSE: LICENSE\nCONDITIONS: CONDITIONS\nAPTITUDE: APTITUDE\nFILLED: FILLED\nOTHER: OTHER', enum_type=RejectionReason, max_length=12),
        ),
        ops.AddField(
            model_name='Application',
            name='reported_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Application',
            name='reported_by',
            field=fields.ForeignKeyField('models.User', source_field='reported_by_id', null=True, db_constraint=True, to_field='id', related_name='result_reports', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Application',
            name='reported_result',
            field=fields.CharEnumField(null=True, description='選考結果登録 to Hello Work', enum_type=ReportedResult, max_length=10),
        ),
        ops.AddField(
            model_name='Application',
            name='result_note',
            field=fields.TextField(default='', description='不採用理由等の記載', unique=False),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_age',
            field=fields.IntField(null=True, description='年齢 at the referral (walk-in)'),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_city',
            field=fields.CharField(default='', description='市区町村', max_length=50),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_email',
            field=fields.CharField(default='', description='メール (walk-in)', max_length=100),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_kana',
            field=fields.CharField(default='', description='氏名カナ (walk-in)', max_length=50),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_name',
            field=fields.CharField(default='', description='氏名 (walk-in)', max_length=50),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_phone',
            field=fields.CharField(default='', description='電話 (walk-in)', max_length=20),
        ),
        ops.AddField(
            model_name='Application',
            name='walk_in_prefecture',
            field=fields.CharField(default='', description='都道府県', max_length=10),
        ),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['establishment_id', 'reported_result', 'id']),
        ),
        ops.AlterField(
            model_name='Event',
            name='kind',
            field=fields.CharEnumField(description='MESSAGE_RECEIVED: MESSAGE_RECEIVED\nAPPLICATION_STATUS_CHANGED: APPLICATION_STATUS_CHANGED\nINTERVIEW_CHANGED: INTERVIEW_CHANGED', enum_type=EventKind, max_length=30),
        ),
        ops.AddField(
            model_name='Event',
            name='interview_id',
            field=fields.IntField(null=True),
        ),
        ops.AlterField(
            model_name='SeekerProfile',
            name='display_name',
            field=fields.CharField(description='氏名: shown only to establishments the seeker applied to', max_length=50),
        ),
        ops.AlterField(
            model_name='SeekerProfile',
            name='phone_number',
            field=fields.CharField(default='', description='電話番号', max_length=20),
        ),
        ops.AddField(
            model_name='SeekerProfile',
            name='birth_date',
            field=fields.DateField(null=True, description='生年月日 (the age is shown)'),
        ),
        ops.AddField(
            model_name='SeekerProfile',
            name='city',
            field=fields.CharField(default='', description='住所の市区町村', max_length=50),
        ),
        ops.AddField(
            model_name='SeekerProfile',
            name='name_kana',
            field=fields.CharField(default='', description='氏名カナ', max_length=50),
        ),
        ops.AddField(
            model_name='SeekerProfile',
            name='prefecture',
            field=fields.CharField(default='', description='住所の都道府県', max_length=10),
        ),
        ops.RunPython(report_past_results, ops.RunPython.noop),
        ops.RunPython(refuse_update, allow_update),
        ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop),
    ]
