"""Each new call's Janus room is a random number kept with the booking (it was 1,000,000
plus the booking's id: one call's token told anyone the rooms of every other call).

Bookings made before keep the number they had: a call live while this runs has its room
in Janus under that number, and the audit log's records of earlier calls name it."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import wicketgate.calls.models


def keep_rooms(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Booking = apps.get_model("calls", "Booking")
    Booking.objects.filter(room__isnull=True).update(room=1_000_000 + models.F("pk"))


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_notes")]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="room",
            field=models.BigIntegerField(null=True, editable=False),
        ),
        migrations.RunPython(keep_rooms, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="booking",
            name="room",
            field=models.BigIntegerField(
                default=wicketgate.calls.models.new_room, editable=False, unique=True
            ),
        ),
    ]
