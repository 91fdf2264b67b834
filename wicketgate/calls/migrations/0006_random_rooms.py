"""Each call's Janus room is a random number kept with the booking (it was 1,000,000 plus
the booking's id: one call's token told anyone the rooms of every other call)."""

from django.db import migrations, models

import wicketgate.calls.models


def draw_rooms(apps, schema_editor):  # type: ignore[no-untyped-def]
    Booking = apps.get_model("calls", "Booking")
    for booking in Booking.objects.filter(room__isnull=True).only("pk"):
        booking.room = wicketgate.calls.models.new_room()
        booking.save(update_fields=["room"])


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_notes")]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="room",
            field=models.BigIntegerField(null=True, editable=False),
        ),
        migrations.RunPython(draw_rooms, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="booking",
            name="room",
            field=models.BigIntegerField(
                default=wicketgate.calls.models.new_room, editable=False, unique=True
            ),
        ),
    ]
