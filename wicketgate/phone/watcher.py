"""Keeps live phone calls in step with the records: a new ban, sanction, alert, a number
taken off the list or barred, a handset retired or a prisoner moved ends the calls it
touches within a round (half a second), and calls whose end was never reported are
settled; every few seconds, new recordings are turned into audio and expired ones
deleted, and each establishment's announcement is spoken if its words have changed. Run by ``wicketgate phone run`` beside Kamailio.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.gateway.models import Device
from wicketgate.phone.announcements import (
    KeyListener,
    end_calls_not_accepted,
    release_prisoners,
    speak_announcements,
)
from wicketgate.phone.calling import do_end_live_phone_call, settle_stale_calls
from wicketgate.phone.codes import EndedBy
from wicketgate.phone.decide import decide_call
from wicketgate.phone.kamailio import KamailioUnreachable
from wicketgate.phone.kamailio import hang_up as kamailio_hang_up
from wicketgate.phone.listening import stop_listenings_no_longer_allowed
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.recordings import convert_recordings, delete_expired_recordings
from wicketgate.policy.engine import Engine

log = logging.getLogger(__name__)
WATCHER = Actor.system("phone watcher")


class PhoneWatcher:
    def __init__(
        self,
        engine: Engine,
        *,
        hang_up: Callable[[int], None] = kamailio_hang_up,
        poll: float = 0.5,
        tidy_every: int = 10,
    ) -> None:
        self.engine = engine
        self.hang_up = hang_up
        self.poll = poll
        self.tidy_every = tidy_every
        self.rounds = 0

    def step(self, now: dt.datetime | None = None) -> list[PhoneCall]:
        """One round: the calls it ended because they are no longer allowed. Every
        ``tidy_every`` rounds, recordings too: new ones kept, old ones deleted."""
        moment = now or timezone.now()
        self.engine.refresh()
        settle_stale_calls(moment)
        for chore in (release_prisoners, self._not_accepted, stop_listenings_no_longer_allowed):
            try:
                chore(moment)  # announcements over, not accepted in time, listeners gone
            except Exception:  # the live calls are checked whatever happens to these
                log.exception("phone: %s failed", getattr(chore, "__name__", chore))
        self.rounds += 1
        if self.rounds % self.tidy_every == 1 or self.tidy_every == 1:
            for tidy in (speak_announcements, convert_recordings, delete_expired_recordings):
                try:
                    tidy(moment)
                except Exception:  # the live calls are checked whatever happens to these
                    log.exception("phone: %s failed", tidy.__name__)
        ended = []
        for call in PhoneCall.objects.live().select_related("prisoner"):
            device = Device.objects.filter(device_id=call.handset).first()
            decision = decide_call(
                call.prisoner.prison_number,
                call.number,
                handset=call.handset,
                address=(device.address or "") if device is not None else "",
                at=moment,
                engine=self.engine,
                ongoing=True,
            )
            if decision.allowed:
                continue
            try:
                ended.append(
                    do_end_live_phone_call(
                        call,
                        reason=f"No longer allowed: {decision.reason} ({decision.rule})",
                        actor=WATCHER,
                        ended_by=EndedBy.POLICY,
                        hang_up=self.hang_up,
                    )
                )
            except KamailioUnreachable:
                log.exception("phone: could not hang up call %s", call.pk)
        return ended

    def _not_accepted(self, moment: dt.datetime) -> list[PhoneCall]:
        return end_calls_not_accepted(moment, hang_up=self.hang_up)

    def run(self, stopping: threading.Event, *, keys: KeyListener | None = None) -> None:
        """Rounds until ``stopping``; and, given a ``KeyListener``, hearing key presses
        on a thread beside them."""
        if keys is not None:
            threading.Thread(target=keys.run, args=(stopping,), daemon=True).start()
        while not stopping.is_set():
            started = time.monotonic()
            try:
                close_old_connections()
                self.step()
            except Exception:  # a failed round is retried on the next; it must not stop
                log.exception("phone: the watcher's round failed")
            stopping.wait(max(0.0, self.poll - (time.monotonic() - started)))
