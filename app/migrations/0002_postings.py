from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.postings import AgeLimitReason, EmploymentPeriod, EmploymentType, PostingAction, PostingStatus, PublicationRange, WageForm, WeeklyTwoDaysOff, WorkStyle
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PostingEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('posting', fields.ForeignKeyField('models.Posting', source_field='posting_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='CREATED: CREATED\nSUBMITTED: SUBMITTED\nWITHDRAWN: WITHDRAWN\nACCEPTED: ACCEPTED\nRETURNED: RETURNED\nSTOPPED: STOPPED\nEXPIRED: EXPIRED\nCHANGE_REQUESTED: CHANGE_REQUESTED\nCHANGE_ACCEPTED: CHANGE_ACCEPTED\nCHANGE_RETURNED: CHANGE_RETURNED\nRENEWAL_RESERVED: RENEWAL_RESERVED\nRENEWED: RENEWED\nREUSED: REUSED', enum_type=PostingAction, max_length=20)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='posting_events', on_delete=OnDelete.RESTRICT)),
                ('from_status', fields.CharEnumField(null=True, description='DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nACTIVE: ACTIVE\nRETURNED: RETURNED\nINVALID: INVALID', enum_type=PostingStatus, max_length=10)),
                ('to_status', fields.CharEnumField(description='DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nACTIVE: ACTIVE\nRETURNED: RETURNED\nINVALID: INVALID', enum_type=PostingStatus, max_length=10)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'posting_event', 'app': 'models', 'indexes': [Index(fields=['posting_id', 'id'])], 'pk_attr': 'id', 'table_description': "One entry of a posting's history: who did what, when, from which status to which."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostingNumberSerial',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('office', fields.OneToOneField('models.Office', source_field='office_id', db_constraint=True, to_field='id', related_name='posting_number_serial', on_delete=OnDelete.CASCADE)),
                ('last_serial', fields.IntField(default=0)),
            ],
            options={'table': 'posting_number_serial', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The last serial of the posting numbers an office has given out, one row per office.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Establishment',
            name='phone_number',
            field=fields.CharField(description='03-1234-5678', max_length=20),
        ),
        ops.AlterModelOptions(
            name='Posting',
            options={'table': 'posting', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'status', 'category']), Index(fields=['status', 'referral_deadline'])], 'pk_attr': 'id', 'table_description': "A job posting of an establishment: the form's content and where it is in its life."},
        ),
        ops.AddField(
            model_name='Posting',
            name='accepted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='accepts_online_applications',
            field=fields.BooleanField(description='オンライン自主応募の受付'),
        ),
        ops.AddField(
            model_name='Posting',
            name='age_limit',
            field=fields.IntField(null=True, description='年齢制限: 上限年齢 (以下)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='age_limit_reason',
            field=fields.CharEnumField(null=True, description='ITEM_1: ITEM_1\nITEM_2: ITEM_2\nITEM_3_I: ITEM_3_I\nITEM_3_RO: ITEM_3_RO\nITEM_3_HA: ITEM_3_HA\nITEM_3_NI: ITEM_3_NI', enum_type=AgeLimitReason, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='allowances',
            field=fields.CharField(default='', description='手当', max_length=300),
        ),
        ops.AddField(
            model_name='Posting',
            name='annual_holidays',
            field=fields.IntField(description='年間休日数'),
        ),
        ops.AddField(
            model_name='Posting',
            name='base_wage_max',
            field=fields.IntField(description='基本給 上限 (円)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='base_wage_min',
            field=fields.IntField(description='基本給 下限 (円)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='change_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='contact',
            field=fields.CharField(description='担当者・連絡先', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='documents',
            field=fields.CharField(default='', description='応募書類等', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='employment_period',
            field=fields.CharEnumField(description='INDEFINITE: INDEFINITE\nFIXED_TERM: FIXED_TERM', enum_type=EmploymentPeriod, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='employment_period_detail',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='employment_type',
            field=fields.CharEnumField(description='REGULAR: REGULAR\nNON_REGULAR: NON_REGULAR\nDISPATCH: DISPATCH\nPART_TIMER: PART_TIMER', enum_type=EmploymentType, max_length=12),
        ),
        ops.AddField(
            model_name='Posting',
            name='has_overtime',
            field=fields.BooleanField(description='時間外労働の有無'),
        ),
        ops.AddField(
            model_name='Posting',
            name='holidays_detail',
            field=fields.CharField(default='', description='休日等', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='insurance',
            field=fields.CharField(default='', description='加入保険等', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='invalidated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='job_description',
            field=fields.TextField(description='仕事内容', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='job_title',
            field=fields.CharField(description='職種', max_length=50),
        ),
        ops.AddField(
            model_name='Posting',
            name='overtime_detail',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='pay_day',
            field=fields.CharField(description='賃金締切日・支払日', max_length=100),
        ),
        ops.AddField(
            model_name='Posting',
            name='pending_content',
            field=fields.JSONField(null=True, description='A change to an active posting waiting for review', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Posting',
            name='posting_number',
            field=fields.CharField(null=True, unique=True, description='求人番号 NNNNN-NNNNNNNN', max_length=14),
        ),
        ops.AddField(
            model_name='Posting',
            name='pr',
            field=fields.TextField(default='', description='求人PR', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='publication_range',
            field=fields.CharEnumField(description='WITH_NAME: WITH_NAME\nNAME_TO_SEEKERS_ONLY: NAME_TO_SEEKERS_ONLY\nWITHOUT_NAME: WITHOUT_NAME', enum_type=PublicationRange, max_length=21),
        ),
        ops.AddField(
            model_name='Posting',
            name='referral_deadline',
            field=fields.DateField(null=True, description='紹介期限日 (inclusive, Tokyo)'),
        ),
        ops.AddField(
            model_name='Posting',
            name='renewal_reserved_at',
            field=fields.DatetimeField(null=True, description='有効中求人更新予約', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='renewed_from',
            field=fields.ForeignKeyField('models.Posting', source_field='renewed_from_id', null=True, db_constraint=True, to_field='id', related_name='renewals', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Posting',
            name='required_experience',
            field=fields.CharField(default='', description='必要な経験等', max_length=300),
        ),
        ops.AddField(
            model_name='Posting',
            name='required_licenses',
            field=fields.CharField(default='', description='必要な免許・資格', max_length=300),
        ),
        ops.AddField(
            model_name='Posting',
            name='retirement_age',
            field=fields.IntField(null=True, description='定年年齢'),
        ),
        ops.AddField(
            model_name='Posting',
            name='return_reason',
            field=fields.TextField(null=True, description='修正依頼の理由', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='reused_from',
            field=fields.ForeignKeyField('models.Posting', source_field='reused_from_id', null=True, db_constraint=True, to_field='id', related_name='reuses', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Posting',
            name='selection_method',
            field=fields.CharField(description='選考方法', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='stop_reason',
            field=fields.TextField(null=True, description='募集停止の理由', unique=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='submitted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Posting',
            name='wage_form',
            field=fields.CharEnumField(description='MONTHLY: MONTHLY\nDAILY: DAILY\nHOURLY: HOURLY', enum_type=WageForm, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='weekly_two_days_off',
            field=fields.CharEnumField(description='EVERY_WEEK: EVERY_WEEK\nSOME_WEEKS: SOME_WEEKS\nNONE: NONE', enum_type=WeeklyTwoDaysOff, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='work_style',
            field=fields.CharEnumField(description='FULL_TIME: FULL_TIME\nPART_TIME: PART_TIME', enum_type=WorkStyle, max_length=10),
        ),
        ops.AddField(
            model_name='Posting',
            name='working_hours',
            field=fields.CharField(description='就業時間', max_length=300),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_address',
            field=fields.CharField(description='就業場所', max_length=300),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_postal_code',
            field=fields.CharField(max_length=8),
        ),
        ops.AddField(
            model_name='Posting',
            name='workplace_prefecture',
            field=fields.CharField(description='就業場所の都道府県', max_length=4),
        ),
        ops.AddIndex(
            model_name='Posting',
            index=Index(fields=['status', 'referral_deadline']),
        ),
    ]
