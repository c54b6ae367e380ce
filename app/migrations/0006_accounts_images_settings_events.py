from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.accounts import MailedKeyPurpose
from app.models.establishments import ImageFormat, ReviewStatus
from app.models.office_events import OfficeEventKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_seeker_registration_display_name')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EstablishmentChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('proposed', fields.JSONField(description='the profile fields as proposed', encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=ReviewStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED', enum_type=ReviewStatus, max_length=10)),
                ('requested_by_id', fields.IntField()),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_by_id', fields.IntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'establishment_change', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'status'])], 'pk_attr': 'id', 'table_description': "A change of the establishment's profile, waiting for staff review."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EstablishmentImage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('content_hash', fields.CharField(max_length=64)),
                ('format', fields.CharEnumField(description='JPEG: JPEG\nPNG: PNG\nGIF: GIF\nBMP: BMP', enum_type=ImageFormat, max_length=4)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('size_bytes', fields.IntField()),
                ('caption', fields.CharField(default='', max_length=100)),
                ('position', fields.IntField(default=0)),
                ('status', fields.CharEnumField(default=ReviewStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED', enum_type=ReviewStatus, max_length=10)),
                ('uploaded_by_id', fields.IntField()),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_by_id', fields.IntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'establishment_image', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'position'])], 'pk_attr': 'id', 'table_description': '画像登録: a picture of the workplace or a product, shown once staff approve it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailedKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='LOGIN_INVITATION: LOGIN_INVITATION\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGE: EMAIL_CHANGE\nUNLOCK: UNLOCK', enum_type=MailedKeyPurpose, max_length=20)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='mailed_keys', on_delete=OnDelete.CASCADE)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', null=True, db_constraint=True, to_field='id', related_name='mailed_keys', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(db_index=True, description='where the key went', max_length=100)),
                ('key_hash', fields.CharField(max_length=64)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='keys_sent', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('failed_attempts', fields.IntField(default=0)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mailed_key', 'app': 'models', 'indexes': [Index(fields=['purpose', 'email'])], 'pk_attr': 'id', 'table_description': 'A key mailed to an address to confirm one action. Only its hash is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfficeEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('office', fields.ForeignKeyField('models.Office', source_field='office_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='JOB_FAIR: JOB_FAIR\nSEMINAR: SEMINAR\nBRIEFING: BRIEFING\nOTHER: OTHER', enum_type=OfficeEventKind, max_length=10)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('target', fields.CharField(default='', description='対象', max_length=200)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('venue', fields.CharField(description='会場', max_length=200)),
                ('prefecture', fields.CharField(max_length=10)),
                ('capacity', fields.IntField(description='定員 (establishments)')),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='office_events', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'office_event', 'app': 'models', 'indexes': [Index(fields=['starts_at']), Index(fields=['prefecture', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'An event of a Hello Work office, open to employers within its capacity.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfficeEventInterest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.OfficeEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='interests', on_delete=OnDelete.CASCADE)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='event_interests', on_delete=OnDelete.CASCADE)),
                ('registered_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'office_event_interest', 'app': 'models', 'unique_together': (('event', 'establishment'),), 'pk_attr': 'id', 'table_description': 'An establishment registered its interest in (参加申込) an event.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Establishment',
            name='business_content',
            field=fields.TextField(default='', description='事業内容', unique=False),
        ),
        ops.AddField(
            model_name='Establishment',
            name='capital_yen',
            field=fields.BigIntField(null=True, description='資本金'),
        ),
        ops.AddField(
            model_name='Establishment',
            name='employee_count',
            field=fields.IntField(null=True, description='従業員数 (企業全体)'),
        ),
        ops.AddField(
            model_name='Establishment',
            name='features',
            field=fields.TextField(default='', description='会社の特長', unique=False),
        ),
        ops.AddField(
            model_name='Establishment',
            name='founded_year',
            field=fields.IntField(null=True, description='設立年'),
        ),
        ops.AddField(
            model_name='Establishment',
            name='notification_email',
            field=fields.CharField(default='', description='通知先', max_length=100),
        ),
        ops.AddField(
            model_name='Establishment',
            name='representative_name',
            field=fields.CharField(default='', description='代表者名', max_length=50),
        ),
        ops.AddField(
            model_name='Establishment',
            name='representative_title',
            field=fields.CharField(default='', description='代表者役職', max_length=50),
        ),
        ops.AddField(
            model_name='Establishment',
            name='website',
            field=fields.CharField(default='', description='ホームページ', max_length=200),
        ),
        ops.AddField(
            model_name='Establishment',
            name='workplace_employee_count',
            field=fields.IntField(null=True, description='従業員数 (就業場所)'),
        ),
        ops.AddField(
            model_name='User',
            name='failed_logins',
            field=fields.IntField(default=0, description='wrong passwords in a row'),
        ),
        ops.AddField(
            model_name='User',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='withdrawn_at',
            field=fields.DatetimeField(null=True, description='退会', auto_now=False, auto_now_add=False),
        ),
    ]
