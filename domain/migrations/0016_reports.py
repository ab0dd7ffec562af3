from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0015_templates_campaigns_tag_rules')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Board',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('owner', fields.ForeignKeyField('lendgraph.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='boards', on_delete=OnDelete.CASCADE)),
                ('tiles', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('shared_with', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'board', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'A dashboard: tiles of measure, dimension, chart and filters, shared with roles.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CollectionCase',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('lendgraph.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='collection_cases', on_delete=OnDelete.CASCADE)),
                ('customer_id', fields.IntField(db_index=True)),
                ('instance_id', fields.IntField(unique=True)),
                ('strategy', fields.CharField(null=True, max_length=32)),
                ('bucket', fields.CharField(max_length=16)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'collection_case', 'app': 'lendgraph', 'indexes': [Index(fields=['loan_id'])], 'pk_attr': 'id', 'table_description': "A loan's collections case: when it opened, in which bucket, with which strategy."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanMonthEnd',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month_end', fields.DateField()),
                ('loan', fields.ForeignKeyField('lendgraph.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='month_ends', on_delete=OnDelete.CASCADE)),
                ('customer_id', fields.IntField()),
                ('bucket', fields.CharField(max_length=16)),
                ('days_past_due', fields.IntField()),
                ('outstanding', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('prev_bucket', fields.CharField(null=True, max_length=16)),
                ('prev_outstanding', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
            ],
            options={'table': 'loan_month_end', 'app': 'lendgraph', 'unique_together': (('month_end', 'loan_id'),), 'indexes': [Index(fields=['month_end', 'bucket']), Index(fields=['customer_id'])], 'pk_attr': 'id', 'table_description': "Where a loan stood at a month's end, and where it stood at the month's end before."},
            bases=['Model'],
        ),
    ]
