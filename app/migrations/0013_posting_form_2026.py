from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.posting_form import EmploymentType, PublicationRange, ResultNotice, VariableHours
from app.models.postings import PostingAction
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

from tortoise.migrations.schema_editor.base import BaseSchemaEditor
import json


def _age_limit(upper, reason):
    if upper is None:
        return None
    return {"lower": None, "upper": upper, "exception_reason": reason, "reason_text": ""}


async def move_age_limits(apps: object, editor: BaseSchemaEditor) -> None:
    """The upper bound and reason of each posting (and of a change waiting for review) into the
    one 年齢制限 item."""
    client = editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    mark = (lambda n: "?") if sqlite else (lambda n: f"${n}")
    cast = "" if sqlite else "::jsonb"
    rows = await client.execute_query_dict(
        'SELECT "id", "age_limit_upper", "age_limit_reason", "pending_content" FROM "posting"'
    )
    for row in rows:
        limit = _age_limit(row["age_limit_upper"], row["age_limit_reason"])
        pending = row["pending_content"]
        if isinstance(pending, str):
            pending = json.loads(pending)
        if pending is not None and "age_limit_reason" in pending:
            pending["age_limit"] = _age_limit(pending.get("age_limit"), pending.pop("age_limit_reason"))
        if limit is None and pending is None:
            continue
        await client.execute_query(
            f'UPDATE "posting" SET "age_limit" = {mark(1)}{cast}, "pending_content" = {mark(2)}{cast} '
            f'WHERE "id" = {mark(3)}',
            [
                None if limit is None else json.dumps(limit, ensure_ascii=False),
                None if pending is None else json.dumps(pending, ensure_ascii=False),
                row["id"],
            ],
        )


# Tortoise rebuilds a SQLite table for AlterField and RemoveField and loses its indexes on the
# way (see 0010); tests/test_migrations.py checks that every declared one exists.
SQLITE_REBUILT_INDEXES = {
    "posting": [
        (False, ["establishment_id", "status", "category"]),
        (False, ["status", "referral_deadline"]),
    ],
    "posting_event": [(False, ["posting_id", "id"])],
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
    dependencies = [('models', '0012_address_lockout')]

    initial = False

    operations = [
        # 年齢制限 becomes one item with both bounds, its exception reason and its text: the
        # upper bound and the reason move into it, and their columns go.
        ops.RenameField(model_name='Posting', old_name='age_limit', new_name='age_limit_upper'),
        ops.AddField(
            model_name='Posting',
            name='age_limit',
            field=fields.JSONField(null=True, description='年齢制限: null は不問', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(move_age_limits, ops.RunPython.noop),
        ops.RemoveField(model_name='Posting', name='age_limit_upper'),
        ops.RemoveField(model_name='Posting', name='age_limit_reason'),
        ops.AlterField(
            model_name='Posting',
            name='allowances',
            field=fields.CharField(default='', description='その他の手当付記事項', max_length=300),
        ),
        ops.AlterField(
            model_name='Posting',
            name='employment_type',
            field=fields.CharEnumField(description='REGULAR: REGULAR\nNON_REGULAR: NON_REGULAR\nDISPATCH: DISPATCH\nFIXED_TERM_DISPATCH: FIXED_TERM_DISPATCH\nINDEFINITE_DISPATCH: INDEFINITE_DISPATCH\nPART_TIMER: PART_TIMER', enum_type=EmploymentType, max_length=20),
        ),
        ops.AlterField(
            model_name='Posting',
            name='publication_range',
            field=fields.CharEnumField(description='WITH_NAME: WITH_NAME\nWITHOUT_NAME: WITHOUT_NAME\nNAME_TO_SEEKERS_ONLY: NAME_TO_SEEKERS_ONLY\nNOT_PUBLISHED: NOT_PUBLISHED', enum_type=PublicationRange, max_length=21),
        ),
        ops.AddField(
            model_name='Posting',
            name='annual_paid_leave_days',
            field=fields.IntField(null=True, description='年次有給休暇 (6か月経過後)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='bonus',
            field=fields.JSONField(null=True, description='賞与', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='break_minutes',
            field=fields.IntField(null=True, description='休憩時間'),
        ),
        ops.AddField(
            model_name='Posting',
            name='business_content',
            field=fields.TextField(default='', description='事業内容', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='childcare_leave_taken',
            field=fields.BooleanField(null=True, description='育児休業取得実績の有無'),
        ),
        ops.AddField(
            model_name='Posting',
            name='commute_allowance',
            field=fields.JSONField(null=True, description='通勤手当', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='company_features',
            field=fields.TextField(default='', description='会社の特長', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='contract_renewal',
            field=fields.JSONField(null=True, description='契約更新の可能性', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='contracting_work',
            field=fields.BooleanField(null=True, description='請負: 就業場所が請負・業務委託先'),
        ),
        ops.AddField(
            model_name='Posting',
            name='counter_registration_confirmed_at',
            field=fields.DatetimeField(null=True, description='本登録: when staff marked it done', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='counter_registration_due_on',
            field=fields.DateField(null=True, description='本登録の期限: 14 days after 仮登録, back to an opening day'),
        ),
        ops.AddField(
            model_name='Posting',
            name='counter_registration_reasons',
            field=fields.JSONField(default=list, description='Why 本登録 at the counter is needed: CounterRegistrationReason', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='daily_working_minutes',
            field=fields.IntField(null=True, description='1日の所定労働時間'),
        ),
        ops.AddField(
            model_name='Posting',
            name='education_requirement',
            field=fields.JSONField(null=True, description='学歴', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='extended_employment',
            field=fields.JSONField(null=True, description='勤務延長', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='fixed_allowances',
            field=fields.JSONField(default=list, description='定額的に支払われる手当', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='fixed_overtime_pay',
            field=fields.JSONField(null=True, description='固定残業代: null はなし', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='graduate_class_of',
            field=fields.IntField(null=True, description='大卒等求人の対象: この年の3月に卒業する (した) 者'),
        ),
        ops.AddField(
            model_name='Posting',
            name='has_work_rules',
            field=fields.BooleanField(null=True, description='就業規則の有無'),
        ),
        ops.AddField(
            model_name='Posting',
            name='job_change_scope',
            field=fields.CharField(default='', description='従事すべき業務の変更の範囲', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='nearest_station',
            field=fields.CharField(default='', description='最寄り駅', max_length=100),
        ),
        ops.AddField(
            model_name='Posting',
            name='overtime',
            field=fields.JSONField(null=True, description='時間外労働の詳細', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='passive_smoking_measure',
            field=fields.JSONField(null=True, description='受動喫煙対策', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='pay_raise',
            field=fields.JSONField(null=True, description='昇給', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='reemployment',
            field=fields.JSONField(null=True, description='再雇用制度', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='renewal_accepted_at',
            field=fields.DatetimeField(null=True, description='Staff accepted the reserved renewal', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='renewal_content',
            field=fields.JSONField(null=True, description='The content a reserved renewal will have, as reviewed by staff', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='result_notice_days',
            field=fields.IntField(null=True, description='選考結果通知 (面接後)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='result_notice_method',
            field=fields.CharEnumField(null=True, description='選考結果の通知方法', enum_type=ResultNotice, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='retirement_allowance',
            field=fields.BooleanField(null=True, description='退職金制度の有無'),
        ),
        ops.AddField(
            model_name='Posting',
            name='special_notes',
            field=fields.TextField(default='', description='特記事項', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='trial_employment',
            field=fields.BooleanField(null=True, description='トライアル雇用併用の希望'),
        ),
        ops.AddField(
            model_name='Posting',
            name='trial_period',
            field=fields.JSONField(null=True, description='試用期間', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='variable_working_hours',
            field=fields.CharEnumField(null=True, description='変形労働時間制', enum_type=VariableHours, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='weekly_working_days',
            field=fields.IntField(null=True, description='週所定労働日数'),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_change_scope',
            field=fields.CharField(default='', description='就業場所の変更の範囲', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_employees',
            field=fields.IntField(null=True, description='従業員数 (就業場所)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_female_employees',
            field=fields.IntField(null=True, description='従業員数 (就業場所) うち女性'),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_part_time_employees',
            field=fields.IntField(null=True, description='従業員数 (就業場所) うちパート'),
        ),
        ops.AddField(
            model_name='Posting',
            name='youth_employment_info',
            field=fields.JSONField(null=True, description='青少年雇用情報', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AlterField(
            model_name='PostingEvent',
            name='action',
            field=fields.CharEnumField(description='CREATED: CREATED\nSUBMITTED: SUBMITTED\nWITHDRAWN: WITHDRAWN\nACCEPTED: ACCEPTED\nRETURNED: RETURNED\nSTOPPED: STOPPED\nEXPIRED: EXPIRED\nCHANGE_REQUESTED: CHANGE_REQUESTED\nCHANGE_ACCEPTED: CHANGE_ACCEPTED\nCHANGE_RETURNED: CHANGE_RETURNED\nRENEWAL_RESERVED: RENEWAL_RESERVED\nRENEWED: RENEWED\nREUSED: REUSED\nCOUNTER_CONFIRMED: COUNTER_CONFIRMED\nLAPSED: LAPSED\nRENEWAL_ACCEPTED: RENEWAL_ACCEPTED\nRENEWAL_RETURNED: RENEWAL_RETURNED', enum_type=PostingAction, max_length=20),
        ),
        ops.AlterField(
            model_name='SeekerProfile',
            name='desired_employment_type',
            field=fields.CharEnumField(null=True, description='REGULAR: REGULAR\nNON_REGULAR: NON_REGULAR\nDISPATCH: DISPATCH\nFIXED_TERM_DISPATCH: FIXED_TERM_DISPATCH\nINDEFINITE_DISPATCH: INDEFINITE_DISPATCH\nPART_TIMER: PART_TIMER', enum_type=EmploymentType, max_length=20),
        ),
        ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop),
    ]
