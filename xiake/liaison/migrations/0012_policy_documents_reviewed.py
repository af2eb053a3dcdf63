"""Policy documents go through the review workflow; those already in the library stay visible."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def publish_existing(apps, schema_editor):
    # Every document was public before the workflow existed: keep it so.
    apps.get_model("liaison", "PolicyDocument").objects.update(status="published")


class Migration(migrations.Migration):
    dependencies = [
        ("liaison", "0011_public_event_registration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="policydocument",
            name="review_comment",
            field=models.TextField(blank=True, verbose_name="review comment"),
        ),
        migrations.AddField(
            model_name="policydocument",
            name="reviewed_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="reviewed at"
            ),
        ),
        migrations.AddField(
            model_name="policydocument",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="reviewed by",
            ),
        ),
        migrations.AddField(
            model_name="policydocument",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("pending", "Pending review"),
                    ("published", "Published"),
                    ("returned", "Returned for revision"),
                    ("rejected", "Rejected"),
                ],
                db_index=True,
                default="draft",
                max_length=16,
                verbose_name="review status",
            ),
        ),
        migrations.AddField(
            model_name="policydocument",
            name="submitted_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="submitted at"
            ),
        ),
        migrations.RunPython(publish_existing, migrations.RunPython.noop),
    ]
