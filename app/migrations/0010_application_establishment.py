from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from tortoise.migrations.schema_editor.base import BaseSchemaEditor

RunSQL_noop = ops.RunSQL.noop

# Tortoise rebuilds a SQLite table for AlterField and loses its indexes and unique constraints
# on the way: those of `posting` since 0002/0004, those of `application` in this migration.
# tests/test_migrations.py checks that every declared one exists.
SQLITE_REBUILT_INDEXES = {
    "posting": [
        (False, ["establishment_id", "status", "category"]),
        (False, ["status", "referral_deadline"]),
    ],
    "application": [(True, ["posting_id", "seeker_id"]), (False, ["posting_id", "status"])],
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
    dependencies = [('models', '0009_audit')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Application',
            name='establishment',
            field=fields.ForeignKeyField('models.Establishment', source_field='establishment_id', null=True, description="the posting's, kept here so an establishment's applicants page by index", db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        # Every application is to a posting of one establishment: copy it, then require it.
        ops.RunSQL(
            'UPDATE "application" SET "establishment_id" = '
            '(SELECT "establishment_id" FROM "posting" WHERE "posting"."id" = "application"."posting_id")',
            reverse_sql=RunSQL_noop,
        ),
        ops.AlterField(
            model_name='Application',
            name='establishment',
            field=fields.ForeignKeyField('models.Establishment', source_field='establishment_id', description="the posting's, kept here so an establishment's applicants page by index", db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['establishment_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['establishment_id', 'status', 'id']),
        ),
    ]
