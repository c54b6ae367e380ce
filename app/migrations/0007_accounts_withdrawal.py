from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_accounts_images_settings_events')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='former_email',
            field=fields.CharField(null=True, description='the address before withdrawal or removal', max_length=100),
        ),
        ops.AddField(
            model_name='User',
            name='removed_by',
            field=fields.ForeignKeyField('models.User', source_field='removed_by_id', null=True, db_constraint=True, to_field='id', related_name='removed_logins', on_delete=OnDelete.SET_NULL),
        ),
    ]
