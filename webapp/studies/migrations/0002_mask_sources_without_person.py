"""A person's mask is a MaskRevision (annotations), never a studies.Mask: the source "person" goes.

Nothing ever wrote person masks (the editor saves revisions), so there is nothing to carry over; any such
row a database might still hold would break the narrower check constraint, so it is deleted first.
"""

from django.conf import settings
from django.db import migrations, models


def delete_person_masks(apps, schema_editor) -> None:
    apps.get_model("studies", "Mask").objects.filter(source="person").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('mlops', '0001_initial'),
        ('studies', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(delete_person_masks, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name='mask',
            name='mask_source_matches_origin',
        ),
        migrations.AlterField(
            model_name='mask',
            name='source',
            field=models.CharField(choices=[('model', 'Model version'), ('ground_truth', 'Ground truth')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='mask',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('author__isnull', True), ('model_version__isnull', False), ('source', 'model')), models.Q(('author__isnull', True), ('model_version__isnull', True), ('source', 'ground_truth')), _connector='OR'), name='mask_source_matches_origin'),
        ),
        migrations.AddConstraint(
            model_name='mask',
            constraint=models.UniqueConstraint(condition=models.Q(('source', 'model')), fields=('image', 'model_version'), name='one_model_mask_per_version'),
        ),
    ]
