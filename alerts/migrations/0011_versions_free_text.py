"""Alerts' free-text affected versions become specifiers without loss (SPEC §10.2).

Text that parses as a specifier (PEP 440, or a list of versions) stays in `versions`; text that
does not (prose such as "versions before 5.2 (all sites)") moves whole to `versions_note`, and
`versions` becomes empty (every version), so that matching never narrows on words it cannot read.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from alerts.versioning import SpecifierError, parse_specifier

    AlertTool = apps.get_model("alerts", "AlertTool")
    for row in AlertTool.objects.exclude(versions="").only("pk", "versions", "versions_note").iterator():
        try:
            parse_specifier(row.versions)
        except SpecifierError:
            row.versions_note = row.versions
            row.versions = ""
            row.save(update_fields=["versions", "versions_note"])


def backwards(apps, schema_editor):
    AlertTool = apps.get_model("alerts", "AlertTool")
    for row in AlertTool.objects.exclude(versions_note="").filter(versions="").iterator():
        row.versions = row.versions_note[:100]
        row.versions_note = ""
        row.save(update_fields=["versions", "versions_note"])


class Migration(migrations.Migration):
    dependencies = [("alerts", "0010_versions")]

    operations = [migrations.RunPython(forwards, backwards)]
