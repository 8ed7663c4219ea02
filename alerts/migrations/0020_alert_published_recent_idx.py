# A tool's page walks the newest alerts in this order (issue #29; bench/volume.py, "portal tool page").

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0019_ack_tallies'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['-published_at', '-created_at'], name='alert_published_recent_idx'),
        ),
    ]
