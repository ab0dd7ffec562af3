from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.process.models import InstanceStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0003_foreign_key_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProcessDefinition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('process_id', fields.CharField(db_index=True, max_length=64)),
                ('version', fields.IntField()),
                ('content_hash', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(default='', max_length=200)),
                ('bpmn_xml', fields.TextField(unique=False)),
                ('dmn_xmls', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('deployed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deployed_by', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'process_definition', 'app': 'lendgraph', 'unique_together': (('process_id', 'version'),), 'pk_attr': 'id', 'table_description': 'One deployed version of a process with its decision tables, keyed by content hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessInstance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('definition', fields.ForeignKeyField('lendgraph.ProcessDefinition', source_field='definition_id', db_constraint=True, to_field='id', related_name='instances', on_delete=OnDelete.RESTRICT)),
                ('business_key', fields.CharField(db_index=True, max_length=128)),
                ('status', fields.CharEnumField(default=InstanceStatus.RUNNING, db_index=True, description='RUNNING: RUNNING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=InstanceStatus, max_length=16)),
                ('state', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('error', fields.TextField(null=True, unique=False)),
                ('revision', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'process_instance', 'app': 'lendgraph', 'indexes': [Index(fields=['definition_id'])], 'pk_attr': 'id', 'table_description': 'A run of a definition version. Its engine state lives here, the spec stays with it.'},
            bases=['Model'],
        ),
    ]
