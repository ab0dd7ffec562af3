from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0002_access')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='CampaignResponse',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Contract',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='CreditReport',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['account_manager_id']),
        ),
        ops.AddIndex(
            model_name='CustomerExternalRef',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['loan_id']),
        ),
        ops.AddIndex(
            model_name='Loan',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Loan',
            index=Index(fields=['collector_id']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['loan_id']),
        ),
        ops.AddIndex(
            model_name='PaymentAllocation',
            index=Index(fields=['payment_id']),
        ),
        ops.AddIndex(
            model_name='PaymentAllocation',
            index=Index(fields=['installment_id']),
        ),
    ]
