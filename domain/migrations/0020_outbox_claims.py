from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.outreach.models import MessageStatus
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0019_shipped_grants")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="OutboxMessage",
            name="status",
            field=fields.CharEnumField(
                db_index=True,
                description="QUEUED: QUEUED\nSENDING: SENDING\nDEFERRED: DEFERRED\nSENT: SENT\nDROPPED: DROPPED\nFAILED: FAILED\nUNCERTAIN: UNCERTAIN",
                enum_type=MessageStatus,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="claimed_by",
            field=fields.CharField(null=True, max_length=96),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="lease_until",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name="OutboxMessage",
            index=Index(fields=["status", "lease_until"]),
        ),
    ]
