from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.accounts import Portal, RegistrationStatus
from app.models.establishments import AccountCodeStatus
from app.models.messages import MessageSender
from app.models.postings import PostingCategory, PostingStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Office',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, description='安定所番号 (5 digits)', max_length=5)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'office', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Hello Work office. Staff act only within their own office.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Establishment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('office', fields.ForeignKeyField('models.Office', source_field='office_id', db_constraint=True, to_field='id', related_name='establishments', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, description='事業所番号 NNNN-NNNNNN-N', max_length=13)),
                ('name', fields.CharField(max_length=100)),
                ('name_kana', fields.CharField(max_length=200)),
                ('phone_number', fields.CharField(description='digits only', max_length=20)),
                ('postal_code', fields.CharField(max_length=8)),
                ('address', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'establishment', 'app': 'models', 'pk_attr': 'id', 'table_description': "An employer's establishment, registered at the counter of its jurisdiction office."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountCreationCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='account_creation_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=AccountCodeStatus.ACTIVE, description='ACTIVE: ACTIVE\nUSED: USED\nVOID: VOID\nREPLACED: REPLACED', enum_type=AccountCodeStatus, max_length=10)),
                ('expires_on', fields.DateField(description='有効期限, inclusive, Asia/Tokyo')),
                ('failed_attempts', fields.IntField(default=0)),
                ('issued_by_id', fields.IntField(null=True)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_creation_code', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A code issued at the counter to open the employer account. Only its hash is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmployerRegistration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_creation_code', fields.ForeignKeyField('models.AccountCreationCode', source_field='account_creation_code_id', db_constraint=True, to_field='id', related_name='registrations', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(db_index=True, max_length=100)),
                ('auth_key_hash', fields.CharField(max_length=64)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nCOMPLETED: COMPLETED\nVOID: VOID', enum_type=RegistrationStatus, max_length=10)),
                ('failed_attempts', fields.IntField(default=0)),
                ('privacy_policy_version', fields.CharField(max_length=20)),
                ('terms_of_use_version', fields.CharField(max_length=20)),
                ('agreed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'employer_registration', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A password registration application (パスワード登録申込) waiting for its 認証キー.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.RESTRICT)),
                ('sender', fields.CharEnumField(description='EMPLOYER: EMPLOYER\nSEEKER: SEEKER', enum_type=MessageSender, max_length=10)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'sender', 'read_at'])], 'pk_attr': 'id', 'table_description': 'One message. `read_at` is set when the receiving side reads it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Posting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', db_constraint=True, to_field='id', related_name='postings', on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharEnumField(description='GENERAL: GENERAL\nGRADUATE: GRADUATE\nSEASONAL: SEASONAL\nMIGRANT: MIGRANT\nDISABILITY: DISABILITY', enum_type=PostingCategory, max_length=12)),
                ('status', fields.CharEnumField(default=PostingStatus.DRAFT, description='DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nACTIVE: ACTIVE\nRETURNED: RETURNED\nINVALID: INVALID', enum_type=PostingStatus, max_length=10)),
                ('number_to_hire', fields.IntField(description='採用人数')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'posting', 'app': 'models', 'indexes': [Index(fields=['establishment_id', 'status', 'category'])], 'pk_attr': 'id', 'table_description': 'A job posting of an establishment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal', fields.CharEnumField(description='STAFF: STAFF\nEMPLOYER: EMPLOYER\nSEEKER: SEEKER', enum_type=Portal, max_length=10)),
                ('email', fields.CharField(max_length=100)),
                ('password_hash', fields.CharField(max_length=100)),
                ('office', fields.ForeignKeyField('models.Office', source_field='office_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('establishment', fields.ForeignKeyField('models.Establishment', source_field='establishment_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user', 'app': 'models', 'unique_together': (('portal', 'email'),), 'pk_attr': 'id', 'table_description': 'A login: staff of an office, an employer of an establishment, or a job seeker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OtpChallenge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='otp_challenges', on_delete=OnDelete.CASCADE)),
                ('otp_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('failed_attempts', fields.IntField(default=0)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'otp_challenge', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time password (ワンタイムパスワード) mailed after a correct password.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RememberedDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='remembered_devices', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'remembered_device', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A browser that may skip the one-time password until `expires_at`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A logged-in session. The bearer token is kept only as a hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TermsAgreement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='terms_agreements', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=20)),
                ('version', fields.CharField(max_length=20)),
                ('agreed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'terms_agreement', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Which version of a terms document a user agreed to, and when.'},
            bases=['Model'],
        ),
    ]
