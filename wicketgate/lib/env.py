"""Typed settings from the environment.

Every setting has one helper that says what type it is; secrets may come from a file
named by ``NAME_FILE`` (Docker and systemd credentials), so they never need to sit in
the environment of every process.
"""

from __future__ import annotations

import os
from pathlib import Path


class EnvError(ValueError):
    """A setting in the environment cannot be read as the type it must be."""


def envstr(name: str, default: str | None = None) -> str | None:
    """The value of ``name``, or the contents of the file named by ``name_FILE``."""
    value = os.environ.get(name)
    if value is not None:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnvError(f"{name}_FILE={file_name}: cannot read it ({exc.strerror})") from exc
    return default


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = envstr(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name}={value!r}: expected one of 1/0, true/false, yes/no, on/off")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = envstr(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise EnvError(f"{name}={value!r}: expected a whole number") from exc
    if minimum is not None and number < minimum:
        raise EnvError(f"{name}={number}: must be at least {minimum}")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = envstr(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_from_data_dir(name: str, path: Path, *, length: int = 50) -> str:
    """The secret in ``name`` (or ``name_FILE``), else one generated once into ``path``.

    The generated file is created with mode 0600 and reused on every later start, so a
    fresh install is never left with a guessable key and a restart does not log
    everybody out.
    """
    value = envstr(name)
    if value:
        return value
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(length)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(generated + "\n")
    return generated


def envlevels(name: str, default: dict[str, int]) -> dict[str, int]:
    """A whole number per incentive level, as ``BAS=10,STD=15,ENH=20``: the levels named
    replace the default's, the others keep it."""
    value = envstr(name)
    if value is None:
        return dict(default)
    levels = dict(default)
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        level, sep, number = item.partition("=")
        level = level.strip().upper()
        if not sep or level not in default:
            raise EnvError(
                f"{name}={value!r}: {item!r} should be LEVEL=NUMBER, LEVEL one of "
                f"{', '.join(default)}"
            )
        try:
            levels[level] = int(number)
        except ValueError as exc:
            raise EnvError(f"{name}={value!r}: {number.strip()!r} is not a whole number") from exc
        if levels[level] < 0:
            raise EnvError(f"{name}={value!r}: {level} must be 0 or more")
    return levels
