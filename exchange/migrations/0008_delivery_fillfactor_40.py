from django.db import migrations

# Room on each page of exchange_delivery for every row's next version, not two thirds of them.
# 0005 set 60 so that a claim (which changes only the lease, no indexed column) updates the row in
# place (HOT); but a delivery row is ~155 bytes, a page at 60 % holds ~28 of them and has room for
# ~19 new versions, and a claim leases every row of a page at once (they were written together):
# only ~60 % of claimed rows stayed HOT, the others moved and wrote every index again (six).
# At 40 every claimed row of a fresh page stays on it (docs/benchmarks.md, "Room for a claim").
# Only pages written from now on are filled so; existing rows are not moved.
FILLFACTOR = 40
PREVIOUS = 60


def _fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE exchange_delivery SET (fillfactor = {value})")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0007_merge_third_edition"),
    ]

    operations = [
        migrations.RunPython(_fillfactor(FILLFACTOR), _fillfactor(PREVIOUS)),
    ]
