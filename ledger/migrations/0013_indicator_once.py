"""Budget indicators once per purpose and district (``reference``), and supplements (追加) approved by a second person."""

import django.db.models.deletion
import django.utils.timezone
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0012_amount_bounds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IndicatorSupplement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', django_fsm.FSMField(choices=[('requested', 'Requested'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='requested', max_length=50, protected=True, verbose_name='status')),
                ('reason', models.CharField(max_length=300, verbose_name='reason')),
                ('scope_path', models.CharField(db_index=True, max_length=200, verbose_name='region path')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('amount_fen', models.BigIntegerField(verbose_name='amount (fen)')),
                ('document_no', models.CharField(max_length=60, verbose_name='document number')),
                ('value_date', models.DateField(verbose_name='issue date')),
            ],
            options={
                'verbose_name': 'indicator supplement',
                'verbose_name_plural': 'indicator supplements',
                'ordering': ['-requested_at', '-pk'],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
        migrations.AddField(
            model_name='budgetindicator',
            name='kind',
            field=models.CharField(choices=[('issue', 'Issued'), ('supplement', 'Supplement')], default='issue', max_length=12, verbose_name='kind'),
        ),
        migrations.AddField(
            model_name='budgetindicator',
            name='reference',
            field=models.CharField(blank=True, max_length=64, verbose_name='issued for'),
        ),
        migrations.AddConstraint(
            model_name='budgetindicator',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'issue'), models.Q(('reference', ''), _negated=True)), fields=('reference', 'to_line'), name='ledger_indicator_once_per_reference'),
        ),
        migrations.AddField(
            model_name='indicatorsupplement',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AddField(
            model_name='indicatorsupplement',
            name='indicator',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='supplements', to='ledger.budgetindicator', verbose_name='budget indicator'),
        ),
        migrations.AddField(
            model_name='indicatorsupplement',
            name='posted',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.budgetindicator', verbose_name='supplement issued'),
        ),
        migrations.AddField(
            model_name='indicatorsupplement',
            name='requested_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by'),
        ),
        migrations.AddConstraint(
            model_name='indicatorsupplement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_supplement_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='indicatorsupplement',
            constraint=models.CheckConstraint(condition=models.Q(('amount_fen__gt', 0)), name='ledger_supplement_amount_positive'),
        ),
    ]
