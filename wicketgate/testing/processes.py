"""Stopping the engines the tests start: asked to stop, then made to."""

from __future__ import annotations

import subprocess
from typing import Any


def stop(process: subprocess.Popen[Any], *, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it has not gone within ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
