"""Whether an engine's own unprivileged user (Squid's ``proxy``, ``kamailio``,
``rtpengine``) can reach a folder Wicketgate made for it as root."""

from __future__ import annotations

import grp
import pwd
import stat
from pathlib import Path


def first_closed_to(user: str, folder: Path) -> Path | None:
    """The first folder from / down to ``folder`` that ``user`` cannot enter (by owner,
    group or others' execute bit); None when it can reach ``folder``. Folders not made
    yet are skipped: they will be made by their parent's owner."""
    account = pwd.getpwnam(user)
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    for path in [*reversed(folder.parents), folder]:
        if not path.exists():
            continue
        mode = path.stat()
        if (
            mode.st_mode & stat.S_IXOTH
            or (mode.st_gid in groups and mode.st_mode & stat.S_IXGRP)
            or (mode.st_uid == account.pw_uid and mode.st_mode & stat.S_IXUSR)
        ):
            continue
        return path
    return None
