from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_posting_insurances')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SeekerRegistration',
            name='display_name',
            field=fields.CharField(default='', description='氏名, for the profile', max_length=50),
        ),
    ]
