from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.enums import Channel
from domain.outreach.models import MessagePurpose, MessageStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0007_waits_and_contract_terms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('lendgraph.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('loan', fields.ForeignKeyField('lendgraph.Loan', source_field='loan_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharEnumField(description='SMS: SMS\nAPP_PUSH: APP_PUSH\nEMAIL: EMAIL\nPHONE: PHONE', enum_type=Channel, max_length=16)),
                ('contact_point', fields.CharField(default='', max_length=254)),
                ('purpose', fields.CharEnumField(description='REMINDER: REMINDER\nCOLLECTION: COLLECTION\nCARE: CARE\nOFFER: OFFER\nCAMPAIGN: CAMPAIGN', enum_type=MessagePurpose, max_length=16)),
                ('status', fields.CharEnumField(db_index=True, description='QUEUED: QUEUED\nDEFERRED: DEFERRED\nSENT: SENT\nDROPPED: DROPPED\nFAILED: FAILED', enum_type=MessageStatus, max_length=16)),
                ('dedupe_key', fields.CharField(unique=True, max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('process_instance_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_message', 'app': 'lendgraph', 'indexes': [Index(fields=['customer_id']), Index(fields=['loan_id']), Index(fields=['status', 'scheduled_at'])], 'pk_attr': 'id', 'table_description': 'One outgoing message. Its dedupe key makes producing it twice produce it once.'},
            bases=['Model'],
        ),
    ]
