"""The relay Squid runs, under any bytes in any pieces: while the service is away, every
line Squid completes is refused once, on its own channel, and a line is not refused
before its newline has come."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from wicketgate.gateway import relay

LINE = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")) | st.sampled_from(
    [b"1 $USER 127.0.0.1 GET http://www.nhs.uk/ - -", b"2", b" 3", b"4 \r", b"\xff\xfe x"]
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lines=st.lists(LINE, max_size=8), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_while_the_service_is_away_each_line_is_refused_once_on_its_channel(
    lines: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(line + b"\n" for line in lines) + b"5 partial"
    read_end, write_end = os.pipe()
    try:
        helper = relay.Relay("acl", "/nonexistent/decide.sock", -1, write_end)
        start = 0
        for cut in [*sorted(c for c in cuts if c < len(data)), len(data)]:
            helper.on_squid(data[start:cut])  # as Squid's writes arrive, in any pieces
            start = max(start, cut)
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as reader:
            read_end = -1
            answers = reader.read().split(b"\n")[:-1]  # each ends in a newline
    finally:
        for fd in (read_end, write_end):
            if fd != -1:
                os.close(fd)
    # Squid never sends an empty line, and a line with no id cannot be answered.
    expected = [line.split(b" ", 1)[0] for line in lines if line]
    assert [a.split(b" ", 1)[0] for a in answers] == expected
    assert all(a.split(b" ", 1)[1] == relay.UNAVAILABLE for a in answers)
