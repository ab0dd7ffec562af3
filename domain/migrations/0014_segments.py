from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0013_profiles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Segment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('description', fields.CharField(default='', max_length=400)),
                ('rules', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_by', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'segment', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'A group of customers that administrators define as a filter over profile fields.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('segment', fields.ForeignKeyField('lendgraph.Segment', source_field='segment_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('lendgraph.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='segment_memberships', on_delete=OnDelete.CASCADE)),
                ('since', fields.DateField()),
            ],
            options={'table': 'segment_member', 'app': 'lendgraph', 'unique_together': (('segment_id', 'customer_id'),), 'pk_attr': 'id', 'table_description': 'A customer in a segment since a business date (kept by the daily run).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentMovement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('segment', fields.ForeignKeyField('lendgraph.Segment', source_field='segment_id', db_constraint=True, to_field='id', related_name='movements', on_delete=OnDelete.CASCADE)),
                ('business_date', fields.DateField()),
                ('count', fields.IntField()),
                ('joined', fields.IntField()),
                ('left', fields.IntField()),
            ],
            options={'table': 'segment_movement', 'app': 'lendgraph', 'unique_together': (('segment_id', 'business_date'),), 'pk_attr': 'id', 'table_description': 'How a segment moved on a business date: its size, who joined, who left.'},
            bases=['Model'],
        ),
    ]
