from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.credit.models import CallStatus
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0020_outbox_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutsideCall',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('operation', fields.CharField(max_length=64)),
                ('instance_id', fields.IntField(null=True, db_index=True)),
                ('status', fields.CharEnumField(description='CALLING: CALLING\nDONE: DONE\nFAILED: FAILED', enum_type=CallStatus, max_length=16)),
                ('claimed_by', fields.CharField(null=True, max_length=96)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('answer', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outside_call', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'One call a process makes to an outside service, under a stable key, and its answer.'},
            bases=['Model'],
        ),
    ]
