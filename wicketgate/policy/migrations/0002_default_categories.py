from django.db import migrations

from wicketgate.policy.codes import DEFAULT_CATEGORIES


def add(apps, schema_editor):
    Category = apps.get_model("policy", "Category")
    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
