from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.events import EventKind
from app.models.postings import EmploymentType, WorkStyle
from app.models.seekers import SeekerRegistrationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_postings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('posting', fields.ForeignKeyField('models.Posting', source_field='posting_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('seeker', fields.ForeignKeyField('models.User', source_field='seeker_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='REFERRAL: REFERRAL\nONLINE: ONLINE', enum_type=ApplicationSource, max_length=10)),
                ('status', fields.CharEnumField(description='APPLIED: APPLIED\nSCREENING: SCREENING\nINTERVIEW: INTERVIEW\nHIRED: HIRED\nREJECTED: REJECTED\nWITHDRAWN: WITHDRAWN', enum_type=ApplicationStatus, max_length=10)),
                ('referral_letter_number', fields.CharField(null=True, description='紹介状番号', max_length=30)),
                ('referral_note', fields.TextField(default='', description='紹介状の記載事項', unique=False)),
                ('hire_date', fields.DateField(null=True, description='採用日')),
                ('conditions_differ', fields.BooleanField(default=False, description='求人票と異なる労働条件')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application', 'app': 'models', 'unique_together': (('posting', 'seeker'),), 'indexes': [Index(fields=['posting_id', 'status'])], 'pk_attr': 'id', 'table_description': "A seeker's application to a posting, one per seeker and posting."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='application_events', on_delete=OnDelete.RESTRICT)),
                ('from_status', fields.CharEnumField(null=True, description='APPLIED: APPLIED\nSCREENING: SCREENING\nINTERVIEW: INTERVIEW\nHIRED: HIRED\nREJECTED: REJECTED\nWITHDRAWN: WITHDRAWN', enum_type=ApplicationStatus, max_length=10)),
                ('to_status', fields.CharEnumField(description='APPLIED: APPLIED\nSCREENING: SCREENING\nINTERVIEW: INTERVIEW\nHIRED: HIRED\nREJECTED: REJECTED\nWITHDRAWN: WITHDRAWN', enum_type=ApplicationStatus, max_length=10)),
                ('reason', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application_event', 'app': 'models', 'indexes': [Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': "One change of an application's status (who, when, from, to, reason), kept forever."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='MESSAGE_RECEIVED: MESSAGE_RECEIVED\nAPPLICATION_STATUS_CHANGED: APPLICATION_STATUS_CHANGED', enum_type=EventKind, max_length=30)),
                ('establishment_id', fields.IntField()),
                ('seeker_id', fields.IntField()),
                ('message_id', fields.IntField(null=True)),
                ('application_event_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'event', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'kind', 'id']), Index(fields=['seeker_id', 'kind', 'id'])], 'pk_attr': 'id', 'table_description': 'One event, written in the same transaction as the change it reports.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageThread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.RESTRICT)),
                ('seeker', fields.ForeignKeyField('models.User', source_field='seeker_id', db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_thread', 'app': 'models', 'unique_together': (('establishment', 'seeker'),), 'pk_attr': 'id', 'table_description': 'The conversation of one establishment with one seeker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeekerProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='seeker_profile', on_delete=OnDelete.CASCADE)),
                ('display_name', fields.CharField(description='氏名: never shown to employers', max_length=50)),
                ('phone_number', fields.CharField(default='', description='never shown', max_length=20)),
                ('desired_job', fields.CharField(default='', description='希望職種', max_length=100)),
                ('desired_prefecture', fields.CharField(default='', description='希望勤務地', max_length=10)),
                ('desired_employment_type', fields.CharEnumField(null=True, description='REGULAR: REGULAR\nNON_REGULAR: NON_REGULAR\nDISPATCH: DISPATCH\nPART_TIMER: PART_TIMER', enum_type=EmploymentType, max_length=12)),
                ('desired_work_style', fields.CharEnumField(null=True, description='FULL_TIME: FULL_TIME\nPART_TIME: PART_TIME', enum_type=WorkStyle, max_length=10)),
                ('experience', fields.TextField(default='', description='職務経験', unique=False)),
                ('licenses', fields.TextField(default='', description='免許・資格', unique=False)),
                ('published', fields.BooleanField(default=False, description='公開希望')),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'seeker_profile', 'app': 'models', 'indexes': [Index(fields=['published', 'desired_prefecture'])], 'pk_attr': 'id', 'table_description': 'What a seeker tells employers about themselves, shown only when published (公開希望).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeekerRegistration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(db_index=True, max_length=100)),
                ('password_hash', fields.CharField(max_length=100)),
                ('verification_key_hash', fields.CharField(max_length=64)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nCOMPLETED: COMPLETED\nVOID: VOID', enum_type=SeekerRegistrationStatus, max_length=10)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'seeker_registration', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A self-registration waiting for the mailed verification key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeekerRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('posting', fields.ForeignKeyField('models.Posting', source_field='posting_id', db_constraint=True, to_field='id', related_name='seeker_requests', on_delete=OnDelete.RESTRICT)),
                ('seeker', fields.ForeignKeyField('models.User', source_field='seeker_id', db_constraint=True, to_field='id', related_name='requests_received', on_delete=OnDelete.RESTRICT)),
                ('sent_by', fields.ForeignKeyField('models.User', source_field='sent_by_id', db_constraint=True, to_field='id', related_name='requests_sent', on_delete=OnDelete.RESTRICT)),
                ('message', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'seeker_request', 'app': 'models', 'unique_together': (('posting', 'seeker'),), 'pk_attr': 'id', 'table_description': 'A direct request (直接リクエスト): an establishment invites a seeker to one posting.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='sender_user',
            field=fields.ForeignKeyField('models.User', source_field='sender_user_id', db_constraint=True, to_field='id', related_name='messages_sent', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Message',
            name='thread',
            field=fields.ForeignKeyField('models.MessageThread', source_field='thread_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddIndex(
            model_name='Message',
            index=Index(fields=['thread_id', 'id']),
        ),
    ]
