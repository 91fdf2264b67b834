"""A stand-in for a busy audit writer, run as its own process by the audit tests.

``python -m wicketgate.testing.audit_writer direct LABEL N``: N events through
``record_event``, each in its own transaction (for the concurrency test).

``python -m wicketgate.testing.audit_writer spool LABEL N``: N events through a
:class:`SpoolWriter`, printing ``ack K`` as each is acknowledged (for the crash test).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    mode, label, count = argv[0], argv[1], int(argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    import django

    django.setup()
    from django.utils import timezone

    from wicketgate.audit.log import Actor, PendingEvent, record_event
    from wicketgate.audit.spool import SpoolWriter

    actor = Actor.system(label)
    if mode == "direct":
        for n in range(count):
            record_event("test.concurrent", actor=actor, details={"writer": label, "n": n})
        return 0
    writer = SpoolWriter(label, batch_size=50, flush_interval=0.01)
    for n in range(count):
        writer.append(
            PendingEvent(
                action="test.spooled", actor=actor, occurred_at=timezone.now(), details={"n": n}
            )
        )
        sys.stdout.write(f"ack {n}\n")
        sys.stdout.flush()
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
