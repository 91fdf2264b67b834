"""Run one fuzz target under atheris (libFuzzer), with libFuzzer's own arguments:

    .venv/bin/python -m wicketgate.gateway.tests.fuzz.run TARGET [libFuzzer args] [CORPUS ...]

TARGET is path, url, acl or auth (targets.py). The acl and auth targets build their
world in a throwaway test database (as pytest does), with the clock stopped in the policy
week. See corpus/README.md for how to run them and keep what they find.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

USAGE = "usage: python -m wicketgate.gateway.tests.fuzz.run path|url|acl|auth [libFuzzer args]\n"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("path", "url", "acl", "auth"):
        sys.stderr.write(USAGE)
        return 2
    try:
        import atheris  # type: ignore[import-untyped]  # no type information
    except ImportError:
        sys.stderr.write("atheris is not installed: pip install -r requirements.lock\n")
        return 2
    target = argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    import django

    django.setup()
    # Coverage feedback from the code under test (and urllib.parse, which it leans on).
    import urllib.parse

    from wicketgate.gateway import gatekeeper
    from wicketgate.gateway.tests.fuzz import targets
    from wicketgate.policy import hosts

    for module in (hosts, gatekeeper, targets, urllib.parse):
        _instrument(atheris, module)
    check = targets.checker(target, _helper() if target in ("acl", "auth") else None)

    def one_input(data: bytes) -> None:
        with contextlib.suppress(targets.KnownBreak):  # reported: find something else
            check(data)

    options = argv[2:]
    if not any(option.startswith("-dict=") for option in options):
        options.insert(0, f"-dict={Path(__file__).with_name('tokens.dict')}")
    # libFuzzer runs its first argument through sh to merge (-merge=1) in a child: this
    # process's own command, not run.py's path (not executable, and not a module path).
    command = f"{sys.executable} -m wicketgate.gateway.tests.fuzz.run {target}"
    atheris.Setup([command, *options], one_input)
    atheris.Fuzz()
    return 0


def _helper() -> Any:
    """The gatekeeper world in a test database of its own, the clock stopped (left so for
    the whole run: the checks compare answers, and nothing here must drift into tomorrow)."""
    import time_machine
    from django.test.utils import setup_databases, setup_test_environment

    from wicketgate.gateway.tests.fuzz.targets import build_helper
    from wicketgate.testing.policy import POLICY_WEEK

    setup_test_environment()
    setup_databases(verbosity=0, interactive=False)
    time_machine.travel(POLICY_WEEK, tick=False).start()
    folder = Path(tempfile.mkdtemp(prefix="wg-fuzz-"))
    return build_helper(folder, POLICY_WEEK + dt.timedelta(minutes=1))


def _instrument(atheris: Any, module: types.ModuleType) -> None:
    for value in vars(module).values():
        for function in _functions(value, module.__name__):
            atheris.instrument_func(function)


def _functions(value: object, module: str) -> list[types.FunctionType]:
    members = list(vars(value).values()) if isinstance(value, type) else [value]
    if isinstance(value, type) and value.__module__ != module:
        return []
    found = []
    for member in members:
        inner = getattr(member, "__wrapped__", member)  # lru_cache's
        if isinstance(inner, types.FunctionType) and inner.__module__ == module:
            found.append(inner)
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv))
