"""Janus, for real: its configuration renders and starts, signed tokens are accepted only
while valid and only for what they name, rooms are created and destroyed by Wicketgate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wicketgate.calls.janus import JanusError, core_token, room_token, sign_token
from wicketgate.testing.janus import RunningJanus, running_janus

SOON = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_a_token_is_expiry_realm_descriptors_and_a_padded_base64_hmac_sha1() -> None:
    token = sign_token("s3cret", "janus", ["janus.plugin.videoroom"], SOON)
    data, _, signature = token.partition(":")
    assert data == f"{int(SOON.timestamp())},janus,janus.plugin.videoroom"
    expected = hmac.new(b"s3cret", data.encode(), hashlib.sha1).digest()
    assert base64.b64decode(signature) == expected and signature.endswith("=")
    assert core_token("s", SOON, booking=12).split(":")[0].endswith(",wg-booking=12")
    assert room_token("s", 4242, SOON).split(":")[0] == (
        f"{int(SOON.timestamp())},janus.plugin.videoroom,room=4242"
    )


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    with running_janus(Path(tmp_path_factory.mktemp("janus"))) as running:
        yield running


def _session(janus: RunningJanus, token: str) -> dict[str, Any]:
    return janus.client.call(janus.setup.api_url, {"janus": "create"}, token)


def test_it_starts_from_our_configuration_with_only_what_we_use(janus: RunningJanus) -> None:
    info = janus.client.info()
    assert info["name"] == "Janus WebRTC Server"
    assert set(info["plugins"]) == {"janus.plugin.videoroom"}
    assert set(info["transports"]) == {"janus.transport.http"}
    assert info["local-ip"] == janus.setup.media_address  # not 127.0.0.1: media can flow
    assert (info["auth_token"], info["api_secret"], info["session-timeout"]) == (True, False, 60)
    assert info["event_handlers"] is False  # no event URL given: none posting anywhere


def test_a_token_works_only_while_valid_and_signed_with_our_secret(janus: RunningJanus) -> None:
    now = dt.datetime.now(dt.UTC)
    secret = janus.setup.token_secret
    assert _session(janus, core_token(secret, now + dt.timedelta(minutes=5)))["janus"] == "success"
    for token in (
        core_token(secret, now - dt.timedelta(seconds=1)),  # expired
        core_token("not-our-secret", now + dt.timedelta(minutes=5)),
        "",
    ):
        with pytest.raises(JanusError) as refused:
            _session(janus, token)
        assert refused.value.code == 403


def test_a_token_without_the_plugin_cannot_attach_to_it(janus: RunningJanus) -> None:
    now = dt.datetime.now(dt.UTC)
    bare = sign_token(janus.setup.token_secret, "janus", [], now + dt.timedelta(minutes=5))
    session = _session(janus, bare)["data"]["id"]
    with pytest.raises(JanusError) as refused:
        janus.client.call(
            f"{janus.setup.api_url}/{session}",
            {"janus": "attach", "plugin": "janus.plugin.videoroom"},
            bare,
        )
    assert refused.value.code == 405


def test_rooms_are_created_and_destroyed_by_wicketgate_only(janus: RunningJanus) -> None:
    client = janus.client
    client.create_room(9001, description="VC-1", publishers=4)
    assert client.room_exists(9001) and client.participants(9001) == []
    with pytest.raises(JanusError, match="already exists"):
        client.create_room(9001, description="VC-1", publishers=4)
    client.destroy_room(9001)
    assert not client.room_exists(9001)
    # Without the VideoRoom admin key (which never leaves the server) no room is made.
    now = dt.datetime.now(dt.UTC)
    token = core_token(janus.setup.token_secret, now + dt.timedelta(minutes=1))
    session = _session(janus, token)["data"]["id"]
    handle = client.call(
        f"{janus.setup.api_url}/{session}",
        {"janus": "attach", "plugin": "janus.plugin.videoroom"},
        token,
    )["data"]["id"]
    reply = client.call(
        f"{janus.setup.api_url}/{session}/{handle}",
        {"janus": "message", "body": {"request": "create", "room": 9002}},
        token,
    )
    assert "error" in reply["plugindata"]["data"]
    assert not client.room_exists(9002)


def test_the_installation_config_is_written_with_its_secrets_kept_private(
    settings: Any, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from wicketgate.cli import main

    settings.WICKETGATE_JANUS_DIR = tmp_path / "janus"
    result = CliRunner().invoke(main, ["calls", "config"])
    assert result.exit_code == 0, result.output
    written = {Path(line).name: Path(line) for line in result.output.split()}
    assert set(written) == {
        "janus.jcfg",
        "janus.plugin.videoroom.jcfg",
        "janus.transport.http.jcfg",
        "janus.eventhandler.sampleevh.jcfg",
    }
    assert all(path.stat().st_mode & 0o077 == 0 for path in written.values())
    core = written["janus.jcfg"].read_text()
    assert "token_auth = true" in core and 'token_auth_secret = "' in core
    assert "{{" not in core and "{%" not in core
    events = written["janus.eventhandler.sampleevh.jcfg"].read_text()
    assert "enabled = true" in events and "/calls/janus-events/" in events
