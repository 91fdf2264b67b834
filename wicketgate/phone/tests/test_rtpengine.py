"""rtpengine's ng protocol as Wicketgate speaks it: bencoding out and back, rtpengine's own
unsorted answers read, and its configuration refusing what would break it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wicketgate.lib.folders import first_closed_to
from wicketgate.phone.rtpengine import (
    MediaRelayError,
    RtpengineSetup,
    _decode,
    _encode,
    ask,
    render_config,
)
from wicketgate.testing.kamailio import free_udp_port

values = st.recursive(
    st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_what_is_encoded_decodes_to_the_same(value: Any) -> None:
    encoded = _encode(value)
    decoded, end = _decode(encoded, 0)
    assert decoded == value and end == len(encoded)


def test_dictionaries_go_out_sorted_and_rtpengines_unsorted_answers_are_read() -> None:
    assert _encode({"command": "ping", "call-id": "x"}) == b"d7:call-id1:x7:command4:pinge"
    answer = b"d6:result2:ok7:created10:1796554567e"  # "result" before "created", as sent
    assert _decode(answer, 0) == ({"result": "ok", "created": "1796554567"}, len(answer))


@pytest.mark.parametrize("broken", [b"i12", b"5:abc", b"d3:keye", b"x", b"l"])
def test_a_broken_answer_is_an_error_not_a_guess(broken: bytes) -> None:
    with pytest.raises((ValueError, IndexError)):
        _decode(broken, 0)


def test_a_relay_that_is_not_there_is_refused_not_waited_for() -> None:
    # Connected, the socket hears the port's refusal: the error names it (a timeout would
    # say "timed out", and an announcement's two commands must fit inside Kamailio's wait).
    with pytest.raises(MediaRelayError, match="Connection refused"):
        ask("ping", f"127.0.0.1:{free_udp_port()}", timeout=30)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """Not pytest's tmp_path: rtpengine's user could not enter it."""
    made = Path(tempfile.mkdtemp(prefix="wg-rtpengine-conf-", dir="/tmp"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_the_configuration_refuses_what_would_break_it(open_folder: Path) -> None:
    tmp_path = open_folder

    def setup(**changes: Any) -> RtpengineSetup:
        return RtpengineSetup(
            **{
                "folder": tmp_path,
                "interface": "127.0.0.1",
                "control": "127.0.0.1:2223",
                "port_min": 30000,
                "port_max": 30999,
                **changes,
            }
        )

    text = render_config(setup()).read_text()
    assert "interface = 127.0.0.1" in text and "listen-ng = 127.0.0.1:2223" in text
    assert f"recording-dir = {tmp_path / 'recordings'}" in text
    broken: list[dict[str, Any]] = [
        {"interface": "1.2.3.4 #"},
        {"control": ""},
        {"control": "10.0.0.5:2223"},  # the ng protocol has no authentication: loopback only
        {"control": "example.org:2223"},
        {"port_min": 80},
        {"port_max": 29999},
    ]
    for bad in broken:
        with pytest.raises(MediaRelayError):
            render_config(setup(**bad))


@pytest.mark.skipif(os.geteuid() != 0, reason="as root, rtpengine runs as its own user")
def test_a_folder_its_user_cannot_enter_is_refused_naming_it() -> None:
    closed = Path(tempfile.mkdtemp(prefix="wg-closed-", dir="/tmp"))  # 0700, root's
    try:
        setup = RtpengineSetup(
            folder=closed / "phone" / "rtpengine",
            interface="127.0.0.1",
            control="127.0.0.1:2223",
            port_min=30000,
            port_max=30999,
        )
        with pytest.raises(MediaRelayError, match=f"{closed} cannot be entered by the 'rtpengine'"):
            render_config(setup)
        assert first_closed_to("rtpengine", setup.folder) == closed
        closed.chmod(0o711)
        assert first_closed_to("rtpengine", setup.folder) is None
    finally:
        shutil.rmtree(closed, ignore_errors=True)
