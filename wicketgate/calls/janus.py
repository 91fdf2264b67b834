"""Janus (Debian ``janus``, VideoRoom plugin): its configuration, signed tokens, and the
calls Wicketgate makes to it.

Janus is configured from the templates in ``deploy/janus/`` and started as ``janus -F
<folder>``. Browsers and devices reach it with signed tokens that Wicketgate makes per
booking, valid only around the call; rooms are created and destroyed by Wicketgate alone
(the VideoRoom admin key never leaves the server), one per booking (two for a one-way
call), and joining a room needs a room token of its own (``signed_tokens``). Findings behind every choice:
``docs/research/janus/NOTES.md``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine

TEMPLATES = Path(settings.BASE_DIR) / "deploy" / "janus"
VIDEOROOM = "janus.plugin.videoroom"


class JanusError(RuntimeError):
    """Janus refused or could not be reached; the message says which and why."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


# --- tokens --------------------------------------------------------------------------------


def sign_token(secret: str, realm: str, descriptors: list[str], expires: dt.datetime) -> str:
    """Janus's signed token: ``<expiry>,<realm>[,<descriptor>…]:<base64(HMAC-SHA1)>``.

    The expiry is in whole seconds since the epoch; the signature is standard, padded
    base64 of HMAC-SHA1 over everything before the colon (Janus's ``src/auth.c``).
    """
    data = ",".join([str(int(expires.timestamp())), realm, *descriptors])
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(digest).decode()}"


def core_token(secret: str, expires: dt.datetime, *, booking: int | None = None) -> str:
    """May use the API and attach to the VideoRoom until ``expires``; names the booking, so
    that the handles in Janus's events can be tied to it."""
    extra = [f"wg-booking={booking}"] if booking is not None else []
    return sign_token(secret, "janus", [VIDEOROOM, *extra], expires)


def room_token(secret: str, room: int, expires: dt.datetime) -> str:
    """May join room ``room`` (created with ``signed_tokens``) until ``expires``."""
    return sign_token(secret, VIDEOROOM, [f"room={room}"], expires)


# --- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class JanusSetup:
    """Where Janus listens, where its media goes, and its secrets."""

    folder: Path
    api_address: str  # the HTTP and Admin APIs listen here
    media_address: str  # the address in SDPs (Janus's own, on the media interface)
    media_interface: str
    admin_acl: str  # who may use the Admin API
    token_secret: str
    admin_secret: str
    admin_key: str  # VideoRoom "create" needs it
    api_port: int = 8088
    admin_port: int = 7088
    rtp_ports: str = "20000-20999"
    event_url: str = ""
    public_url: str = ""  # the API as browsers reach it, if not api_url
    events_key: str = ""  # in the path Janus posts its events to: only Janus knows it

    @property
    def api_url(self) -> str:
        return f"http://{self.api_address}:{self.api_port}/janus"

    @property
    def browser_url(self) -> str:
        return self.public_url or self.api_url

    @property
    def admin_url(self) -> str:
        return f"http://{self.api_address}:{self.admin_port}/admin"

    @classmethod
    def new_secrets(cls) -> dict[str, str]:
        return {
            "token_secret": secrets.token_urlsafe(32),
            "admin_secret": secrets.token_urlsafe(32),
            "admin_key": secrets.token_urlsafe(32),
            "events_key": secrets.token_urlsafe(24),
        }


def configured() -> JanusClient:
    """The installation's Janus, from settings; its secrets made once into its folder."""
    folder = Path(settings.WICKETGATE_JANUS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    keys_file = folder / "secrets.json"
    if not keys_file.exists():
        keys_file.touch(mode=0o600)
        keys_file.write_text(json.dumps(JanusSetup.new_secrets()), encoding="utf-8")
    keys = {**JanusSetup.new_secrets(), **json.loads(keys_file.read_text(encoding="utf-8"))}
    address = settings.WICKETGATE_JANUS_ADDRESS
    events_base = str(settings.WICKETGATE_JANUS_EVENTS_TO).rstrip("/")
    return JanusClient(
        JanusSetup(
            folder=folder / "conf",
            api_address=address,
            media_address=address,
            media_interface=settings.WICKETGATE_JANUS_INTERFACE,
            admin_acl=settings.WICKETGATE_JANUS_ADMIN_ACL,
            token_secret=keys["token_secret"],
            admin_secret=keys["admin_secret"],
            admin_key=keys["admin_key"],
            public_url=settings.WICKETGATE_JANUS_URL,
            events_key=keys["events_key"],
            event_url=f"{events_base}/calls/janus-events/{keys['events_key']}"
            if events_base
            else "",
        )
    )


def render_config(setup: JanusSetup) -> list[Path]:
    """Write Janus's configuration files into ``setup.folder`` (mode 0600: they hold secrets)."""
    setup.folder.mkdir(parents=True, exist_ok=True)
    engine = Engine(autoescape=False)
    context = Context({**setup.__dict__, "folder": str(setup.folder)})
    written = []
    for template in sorted(TEMPLATES.glob("*.jcfg.template")):
        target = setup.folder / template.name.removesuffix(".template")
        text = engine.from_string(template.read_text(encoding="utf-8")).render(context)
        target.write_text(text, encoding="utf-8")
        target.chmod(0o600)
        written.append(target)
    return written


# --- the API -------------------------------------------------------------------------------


class JanusClient:
    """The few requests Wicketgate makes: rooms per booking, participants, moderation,
    and hanging up through the Admin API."""

    def __init__(self, setup: JanusSetup, *, timeout: float = 5.0) -> None:
        self.setup = setup
        self.timeout = timeout

    # Rooms

    def create_room(
        self, room: int, *, description: str, publishers: int, record_dir: str = ""
    ) -> None:
        body: dict[str, Any] = {
            "request": "create",
            "room": room,
            "description": description[:100],
            "publishers": publishers,
            "is_private": True,
            "signed_tokens": True,
            "admin_key": self.setup.admin_key,
            # Without a room secret anyone with a call's tokens could kick, mute, end it,
            # switch off its recording or lock staff out (edit): the secret never leaves
            # the server, and recording can only be changed with it.
            "secret": self.room_secret(room),
            "lock_record": True,
            "permanent": False,
            "audiocodec": "opus",
            "videocodec": "vp8",
        }
        if record_dir:
            body.update({"record": True, "rec_dir": record_dir})
        self._videoroom(body, expect="created")

    def room_secret(self, room: int) -> str:
        """The room's secret, derived from the VideoRoom admin key (kept by nobody else)."""
        return hmac.new(
            self.setup.admin_key.encode(), f"room-secret:{room}".encode(), hashlib.sha256
        ).hexdigest()

    def destroy_room(self, room: int) -> None:
        self._videoroom(
            {"request": "destroy", "room": room, "secret": self.room_secret(room)},
            expect="destroyed",
        )

    def room_exists(self, room: int) -> bool:
        return bool(self._videoroom({"request": "exists", "room": room}).get("exists"))

    def participants(self, room: int) -> list[dict[str, Any]]:
        data = self._videoroom({"request": "listparticipants", "room": room})
        return list(data.get("participants") or [])

    def moderate(self, room: int, participant: int, mid: str, *, mute: bool) -> None:
        """Stop (or restart) one of a participant's tracks for everybody: staff mute a
        microphone or pause a camera. Unmuted video comes back with the next key frame."""
        self._videoroom(
            {
                "request": "moderate",
                "room": room,
                "id": participant,
                "mid": mid,
                "mute": mute,
                "secret": self.room_secret(room),
            },
            expect="success",
        )

    def kick(self, room: int, participant: int) -> None:
        """Take one participant out of the room (their page is told it was kicked)."""
        self._videoroom(
            {"request": "kick", "room": room, "id": participant, "secret": self.room_secret(room)},
            expect="success",
        )

    def kick_all(self, room: int, *more: int) -> list[int]:
        """Hang up every handle in ``room`` (and ``more``: a call's rooms together) and end
        their sessions; returns the sessions ended.

        Destroying a room stops its media, but leaves the watchers' and subscribers'
        connections open with no event (NOTES.md §7): they are hung up through the Admin
        API, and their sessions destroyed half a second later, so that the hang-up reaches
        each page first. The handles are found before the rooms go: after it, they no
        longer say which room they were in.
        """
        rooms = [room, *more]
        handles = self.handles_in(*rooms)
        for each in rooms:
            if self.room_exists(each):
                self.destroy_room(each)
        for session, handle in handles:
            self.admin({"janus": "hangup_webrtc"}, f"/{session}/{handle}")
        sessions = sorted({session for session, _handle in handles})
        if sessions:
            time.sleep(0.5)
        for session in sessions:
            with contextlib.suppress(JanusError):  # already gone: its page left on its own
                self.admin({"janus": "destroy_session"}, f"/{session}")
        return sessions

    def handles_in(self, room: int, *more: int) -> list[tuple[int, int]]:
        """(session, handle) of every VideoRoom handle joined to ``room`` (or ``more``)."""
        rooms = {room, *more}
        found = []
        for session in self.admin({"janus": "list_sessions"}).get("sessions") or []:
            try:
                handles = self.admin({"janus": "list_handles"}, f"/{session}").get("handles") or []
            except JanusError:
                continue  # ended meanwhile
            for handle in handles:
                try:
                    info = self.admin({"janus": "handle_info"}, f"/{session}/{handle}")
                except JanusError:
                    continue
                specific = (info.get("info") or {}).get("plugin_specific") or {}
                if specific.get("room") in rooms:
                    found.append((int(session), int(handle)))
        return found

    # Admin API

    def info(self) -> dict[str, Any]:
        return self._post(f"{self.setup.api_url}/info", None)

    def admin(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        request = {**body, "transaction": _tx(), "admin_secret": self.setup.admin_secret}
        reply = self._post(self.setup.admin_url + path, request)
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusError(f"Janus admin: {error.get('reason')}", error.get("code"))
        return reply

    # internals

    def _videoroom(self, body: dict[str, Any], *, expect: str | None = None) -> dict[str, Any]:
        """One VideoRoom request on a session of its own, with a token valid for a minute."""
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        token = core_token(self.setup.token_secret, expires)
        session = self.call(self.setup.api_url, {"janus": "create"}, token)["data"]["id"]
        try:
            handle = self.call(
                f"{self.setup.api_url}/{session}", {"janus": "attach", "plugin": VIDEOROOM}, token
            )["data"]["id"]
            reply = self.call(
                f"{self.setup.api_url}/{session}/{handle}",
                {"janus": "message", "body": body},
                token,
            )
        finally:
            self.call(f"{self.setup.api_url}/{session}", {"janus": "destroy"}, token, check=False)
        data: dict[str, Any] = (reply.get("plugindata") or {}).get("data") or {}
        if "error" in data or (expect is not None and data.get("videoroom") != expect):
            raise JanusError(
                f"VideoRoom {body['request']}: {data.get('error', data)}", data.get("error_code")
            )
        return data

    def call(
        self, url: str, body: dict[str, Any], token: str, *, check: bool = True
    ) -> dict[str, Any]:
        """A Janus API request with ``token``; JanusError with Janus's code when refused."""
        reply = self._post(url, {**body, "transaction": _tx(), "token": token})
        if check and reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusError(f"Janus: {error.get('reason')}", error.get("code"))
        return reply

    def _post(self, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - Janus's own http:// URL from settings
            url, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - Janus's own http:// URL from settings
                return dict(json.loads(response.read()))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise JanusError(f"Janus at {url} cannot be reached: {exc}") from exc


def _tx() -> str:
    return secrets.token_hex(6)
