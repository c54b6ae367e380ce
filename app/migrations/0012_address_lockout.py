from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_outgoing_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AddressLockout',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address_hash', fields.CharField(unique=True, max_length=64)),
                ('failed_logins', fields.IntField(default=0, description='wrong passwords in a row')),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'address_lockout', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Wrong passwords in a row at login for an address that has no login of the portal,'},
            bases=['Model'],
        ),
    ]
