"""Rows of the ledger take their times from the application clock (core.clock.now), as every other app does; entries keep the database's own time."""

import core.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0014_guards_truncate_late_legs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='created_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='bankstatement',
            name='imported_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='imported at'),
        ),
        migrations.AlterField(
            model_name='budgetadjustment',
            name='requested_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='requested at'),
        ),
        migrations.AlterField(
            model_name='budgetline',
            name='created_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='commitment',
            name='created_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='disbursement',
            name='created_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='indicatorsupplement',
            name='requested_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='requested at'),
        ),
        migrations.AlterField(
            model_name='repayableaccount',
            name='created_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='repayment',
            name='recorded_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='recorded at'),
        ),
        migrations.AlterField(
            model_name='reschedule',
            name='requested_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='requested at'),
        ),
        migrations.AlterField(
            model_name='writeoff',
            name='requested_at',
            field=models.DateTimeField(default=core.clock.now, verbose_name='requested at'),
        ),
    ]
