from django.db import migrations

from wicketgate.people.codes import DEFAULT_ALERT_CODES


def add_codes(apps, schema_editor):
    AlertCode = apps.get_model("people", "AlertCode")
    for code, description in DEFAULT_ALERT_CODES:
        AlertCode.objects.get_or_create(code=code, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_codes, migrations.RunPython.noop)]
