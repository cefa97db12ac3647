"""One deferred balance check per entry, not one per leg (issue 16, PostgreSQL).

0002 checked an entry's balance at commit from two constraint triggers: one per entry
row and one per leg row, so an entry of two legs summed its legs three times. Since
0014 a leg may be inserted only into an entry inserted by the same transaction, so
every leg belongs to an entry whose own deferred trigger sums all its legs at commit:
the per-leg trigger checks nothing the per-entry one does not. Dropping it takes two
of the three sums off every posting (about a quarter of ``ledger_post_entry``'s time).

What still refuses what:
* an entry without two legs, or whose legs do not sum to zero, at commit —
  ``ledger_entry_balanced`` (0002);
* a leg added to an entry posted by an earlier transaction, or sealed —
  ``ledger_leg_entry_open`` (0014);
* any change or deletion of a leg — ``ledger_leg_immutable`` (0002).
"""

from django.db import migrations

DROP = "DROP TRIGGER IF EXISTS ledger_leg_balanced ON ledger_leg;"
RESTORE = """
CREATE CONSTRAINT TRIGGER ledger_leg_balanced AFTER INSERT ON ledger_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0016_sealed_blocks")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
