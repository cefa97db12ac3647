from django.db import migrations, models


class Migration(migrations.Migration):
    """The allotment is required once 0003 has filled it in (its own transaction, so
    PostgreSQL alters a table whose rows were just updated in a committed step)."""

    dependencies = [
        ('funding', '0004_callmgmt_quota_allotment_and_trail'),
    ]

    operations = [
        migrations.AlterField(
            model_name='quota',
            name='allotted_amount_fen',
            field=models.BigIntegerField(verbose_name='allotted amount (fen, before cuts)'),
        ),
        migrations.AlterField(
            model_name='quota',
            name='allotted_count',
            field=models.PositiveIntegerField(verbose_name='allotted number (before cuts)'),
        ),
        migrations.AddConstraint(
            model_name='quota',
            constraint=models.CheckConstraint(condition=models.Q(('max_count__lte', models.F('allotted_count')), ('max_amount_fen__lte', models.F('allotted_amount_fen'))), name='quota_within_allotment'),
        ),
    ]
