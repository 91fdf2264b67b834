"""Janus itself: started from our configuration (in its namespace, if it has one), waited
for until its API answers, and stopped."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from typing import IO, Any

from wicketgate.calls.janus import JanusClient, JanusError
from wicketgate.calls.netns import Link

JANUS = "/usr/bin/janus"
PR_SET_PDEATHSIG = 1


class JanusStartError(RuntimeError):
    """Janus would not start, or did not answer; the message has the end of its output."""


def _die_with_parent() -> None:
    """In the child before exec: Linux sends SIGTERM to Janus if the process that started
    it dies, even by SIGKILL, so no Janus outlives its supervisor (and keeps recording)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(
    client: JanusClient, *, link: Link | None, output: IO[Any] | int | None
) -> subprocess.Popen[Any]:
    """Start Janus on ``client``'s configuration; returns once its API answers."""
    command = [JANUS, "-F", str(client.setup.folder)]
    try:
        process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            link.command(*command) if link else command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only prctl, no locks taken
        )
    except OSError as exc:
        raise JanusStartError(
            f"cannot start {JANUS}: {exc}; install the Debian package janus"
        ) from exc
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise JanusStartError(f"Janus exited ({process.returncode})")
        try:
            client.info()
            return process
        except JanusError:
            if time.monotonic() > deadline:
                stop(process)
                raise JanusStartError(f"Janus did not answer on {client.setup.api_url}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop Janus and whatever it started (it leads its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(3)  # within the 5 s a supervisor (honcho) gives before SIGKILL
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
