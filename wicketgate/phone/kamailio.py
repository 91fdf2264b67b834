"""Kamailio, the phone gateway: its configuration from ``deploy/kamailio`` and how it
is started.

Kamailio (Debian ``kamailio``, with ``http_client`` from ``kamailio-utils-modules`` and
``jansson`` from ``kamailio-extra-modules``) authenticates each handset's INVITE with SIP
digest against the HA1 Wicketgate holds, asks Wicketgate whether the call may be made
(``phone.questions``, behind a key only Kamailio knows), and relays an allowed call to the
trunk with the E.164 number, ending it at the decision's limit. Anything else fails
closed: 503 when Wicketgate cannot be asked.
"""

from __future__ import annotations

import json
import secrets
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg.template"
KAMAILIO = "/usr/sbin/kamailio"


@dataclass(frozen=True)
class KamailioSetup:
    folder: Path
    listen_address: str
    listen_port: int
    trunk: str  # host:port of the SIP trunk outside calls leave through
    realm: str
    ask_url: str  # Wicketgate's questions, with the key: http://…/phone/kamailio/<key>
    ask_timeout: int = 2  # seconds (whole): slower than this, and the call is refused
    children: int = 4  # SIP workers; each waits for its own question
    nonce_secret: str = ""

    @property
    def config_file(self) -> Path:
        return self.folder / "kamailio.cfg"

    @property
    def run_dir(self) -> Path:
        return self.folder / "run"

    @property
    def rpc_socket(self) -> Path:
        return self.run_dir / "kamailio_rpc.sock"


class KamailioUnreachable(Exception):
    """Kamailio's RPC socket did not answer, or answered with an error."""


def hang_up(dialog: str, *, rpc_socket: Path | None = None, timeout: float = 2.0) -> None:
    """End a live call: ``dlg.end_dlg`` on Kamailio's jsonrpcs socket, which sends BYE to
    both ends (and reports the end, as any end is reported). ``dialog``: "h_entry:h_id".

    Raises ``KamailioUnreachable`` if Kamailio does not confirm it."""
    entry, _, ident = dialog.partition(":")
    if not (entry.isdigit() and ident.isdigit()):
        raise KamailioUnreachable(f"not a dialog: {dialog!r}")
    target = str(rpc_socket or settings.WICKETGATE_PHONE_RPC_SOCKET)
    request = {
        "jsonrpc": "2.0",
        "method": "dlg.end_dlg",
        "params": [int(entry), int(ident)],
        "id": 1,
    }
    # Kamailio answers to the sender's address: a socket of our own, in a folder it can
    # reach (it may run as its own user), removed after.
    with tempfile.TemporaryDirectory(prefix="wg-rpc-") as folder:
        Path(folder).chmod(0o711)
        here = str(Path(folder) / "reply.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(here)
            Path(here).chmod(0o622)
            sock.settimeout(timeout)
            try:
                sock.sendto(json.dumps(request).encode(), target)
                reply = json.loads(sock.recv(65536))
            except (OSError, ValueError) as exc:
                raise KamailioUnreachable(f"Kamailio's RPC at {target}: {exc}") from exc
    if not isinstance(reply, dict) or "error" in reply:
        raise KamailioUnreachable(f"Kamailio could not end dialog {dialog}: {reply}")


def ask_key() -> str:
    """The key in the path Kamailio asks Wicketgate's questions on: made once, kept 0600."""
    folder = Path(settings.WICKETGATE_PHONE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    keys_file = folder / "secrets.json"
    if not keys_file.exists():
        keys_file.touch(mode=0o600)
        keys_file.write_text(
            json.dumps({"ask_key": secrets.token_urlsafe(32), "nonce": secrets.token_hex(16)}),
            encoding="utf-8",
        )
    return str(json.loads(keys_file.read_text(encoding="utf-8"))["ask_key"])


def configured(*, ask_base: str | None = None) -> KamailioSetup:
    """The installation's Kamailio, from settings."""
    key = ask_key()
    keys = json.loads((Path(settings.WICKETGATE_PHONE_DIR) / "secrets.json").read_text())
    host, _, port = str(settings.WICKETGATE_PHONE_SIP_LISTEN).rpartition(":")
    trunk = str(settings.WICKETGATE_PHONE_TRUNK).removeprefix("sip:")
    base = (ask_base or str(settings.WICKETGATE_PHONE_ASK_URL)).rstrip("/")
    return KamailioSetup(
        folder=Path(settings.WICKETGATE_PHONE_DIR) / "kamailio",
        listen_address=host,
        listen_port=int(port),
        trunk=trunk,
        realm=settings.WICKETGATE_PHONE_REALM,
        ask_url=f"{base}/phone/kamailio/{key}",
        nonce_secret=str(keys.get("nonce", "")),
    )


def render_config(setup: KamailioSetup) -> Path:
    """Write kamailio.cfg (0600: it holds the key) and make its run folder."""
    setup.folder.mkdir(parents=True, exist_ok=True)
    setup.run_dir.mkdir(parents=True, exist_ok=True)
    context = Context({**setup.__dict__, "run_dir": str(setup.run_dir)})
    text = (
        Engine(autoescape=False).from_string(TEMPLATE.read_text(encoding="utf-8")).render(context)
    )
    setup.config_file.write_text(text, encoding="utf-8")
    setup.config_file.chmod(0o600)
    return setup.config_file


def command(setup: KamailioSetup) -> list[str]:
    """Kamailio in the foreground, logging to stderr, with its own run folder."""
    return [
        KAMAILIO,
        "-DD",
        "-E",
        "-f",
        str(setup.config_file),
        "-Y",
        str(setup.run_dir),
        "-P",
        str(setup.run_dir / "kamailio.pid"),
        "-m",
        "64",
        "-M",
        "8",
    ]
