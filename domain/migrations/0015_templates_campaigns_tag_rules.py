from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0014_segments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=64)),
                ('segment', fields.CharField(default='', max_length=32)),
                ('tone', fields.CharField(default='', max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('version', fields.IntField(default=1)),
                ('updated_by', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'message_template', 'app': 'lendgraph', 'unique_together': (('key', 'segment', 'tone'),), 'pk_attr': 'id', 'table_description': "An administrator's text for a purpose, optionally only for an RFM segment or a tone."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TagRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('description', fields.CharField(default='', max_length=400)),
                ('condition', fields.CharField(max_length=500)),
                ('enabled', fields.BooleanField(default=True)),
                ('version', fields.IntField(default=1)),
                ('updated_by', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tag_rule', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': "A behaviour tag that administrators define as a condition over a customer's facts."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='conversion_days',
            field=fields.IntField(default=30),
        ),
        ops.AddField(
            model_name='Campaign',
            name='launched_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Campaign',
            name='launched_by',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Campaign',
            name='segment',
            field=fields.ForeignKeyField('lendgraph.Segment', source_field='segment_id', null=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Campaign',
            name='template_key',
            field=fields.CharField(default='campaign.invitation', max_length=64),
        ),
        ops.AlterField(
            model_name='CampaignResponse',
            name='sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='CampaignResponse',
            name='application',
            field=fields.ForeignKeyField('lendgraph.Application', source_field='application_id', null=True, db_constraint=True, to_field='id', related_name='campaign_responses', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='CampaignResponse',
            name='message',
            field=fields.ForeignKeyField('lendgraph.OutboxMessage', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='campaign_responses', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='CampaignResponse',
            name='token',
            field=fields.CharField(null=True, unique=True, max_length=32),
        ),
    ]
