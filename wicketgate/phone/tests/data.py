"""A phone call as the records hold it, for the tests: Mum's number, 10 minutes at 6p a
minute, answered; any field can be given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from wicketgate.people.models import Prisoner
from wicketgate.phone.codes import CallState
from wicketgate.phone.models import PhoneCall


def a_phone_call(prisoner: Prisoner, *, at: dt.datetime | None = None, **fields: Any) -> PhoneCall:
    moment = at or timezone.now()
    return PhoneCall.objects.create(
        **{
            "prisoner": prisoner,
            "handset": "NGT-PH-1",
            "number": "+442079460101",
            "name": "Mum",
            "kind": "social",
            "destination": "uk_landline",
            "recorded": True,
            "limit_seconds": 600,
            "pence_a_minute": 6,
            "held_pence": 60,
            "state": CallState.ANSWERED,
            "placed_at": moment,
            "answered_at": moment,
            "sip_call_id": f"test-{PhoneCall.objects.count() + 1}@test",
            **fields,
        }
    )
