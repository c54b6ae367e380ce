from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_applicants_messages_events')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Posting',
            name='insurance',
            field=fields.CharField(default='', description='その他の保険・制度', max_length=200),
        ),
        ops.AddField(
            model_name='Posting',
            name='insurances',
            field=fields.JSONField(default=list, description='加入保険等: Insurance values', encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
