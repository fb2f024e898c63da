from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="video", name="lease_token", field=models.CharField(blank=True, max_length=32)),
        migrations.AddField(model_name="video", name="lease_holder",
                            field=models.CharField(blank=True, max_length=200)),
        migrations.AddField(model_name="video", name="heartbeat_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="video", name="attempts", field=models.PositiveIntegerField(default=0)),
    ]
