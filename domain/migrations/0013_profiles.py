from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0012_message_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('lendgraph.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='profile', on_delete=OnDelete.CASCADE)),
                ('rfm', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('risk', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('lifecycle', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('computed_on', fields.DateField(null=True)),
            ],
            options={'table': 'customer_profile', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': "The explanations of a customer's RFM segment, risk rating and lifecycle stage."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProfileChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('lendgraph.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='profile_changes', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=32)),
                ('old', fields.CharField(null=True, max_length=64)),
                ('new', fields.CharField(null=True, max_length=64)),
                ('explanation', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('business_date', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'profile_change', 'app': 'lendgraph', 'indexes': [Index(fields=['customer_id', 'business_date'])], 'pk_attr': 'id', 'table_description': 'A label that changed on a business date: what it was, what it is, and why.'},
            bases=['Model'],
        ),
    ]
