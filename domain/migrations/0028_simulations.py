from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.simulation.models import PopulationKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0027_mask_functions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Simulation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('process_id', fields.CharField(db_index=True, max_length=64)),
                ('decision_id', fields.CharField(max_length=128)),
                ('draft_digest', fields.CharField(db_index=True, max_length=64)),
                ('against_version', fields.IntField()),
                ('population_kind', fields.CharEnumField(description='APPLICATIONS: APPLICATIONS\nLOANS: LOANS\nCUSTOMERS: CUSTOMERS', enum_type=PopulationKind, max_length=16)),
                ('population', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('report', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('ran_by', fields.CharField(max_length=64)),
                ('ran_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'simulation', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': "A draft's table run beside a deployed version over past cases, and its report."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SimulationCitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('definition', fields.ForeignKeyField('lendgraph.ProcessDefinition', source_field='definition_id', db_constraint=True, to_field='id', related_name='simulation_citations', on_delete=OnDelete.CASCADE)),
                ('simulation', fields.ForeignKeyField('lendgraph.Simulation', source_field='simulation_id', db_constraint=True, to_field='id', related_name='citations', on_delete=OnDelete.RESTRICT)),
                ('cited_by', fields.CharField(max_length=64)),
                ('cited_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'simulation_citation', 'app': 'lendgraph', 'indexes': [Index(fields=['definition_id']), Index(fields=['simulation_id'])], 'pk_attr': 'id', 'table_description': 'A deployment made on the strength of a simulation of the same draft.'},
            bases=['Model'],
        ),
    ]
