"""Hello Work offices (公共職業安定所)."""

from tortoise import fields
from tortoise.models import Model


class Office(Model):
    """A Hello Work office. Staff act only within their own office."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=5, unique=True, description="安定所番号 (5 digits)")
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()

    class Meta:
        table = "office"
