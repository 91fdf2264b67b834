"""Janus in a network namespace of its own, joined to this machine by a veth pair.

ICE never uses the loopback interface, so a Janus for browsers on this same machine (the
demo, the tests) cannot listen on 127.0.0.1. Instead it runs in a namespace with one end
of a veth pair; the other end stays here. Both addresses are private to this machine:
nothing outside it can reach them. Needs root (``ip netns``, ``ip link``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

IFNAMSIZ = 15  # Linux's limit on an interface's name


class NamespaceError(RuntimeError):
    """The namespace or its link could not be made; the message says what to do."""


@dataclass(frozen=True)
class Link:
    namespace: str
    host_address: str  # this machine's end (browsers, the web app Janus posts events to)
    janus_address: str  # Janus's end: its API and its media

    @property
    def host_interface(self) -> str:
        return f"{self.namespace}h"

    @property
    def janus_interface(self) -> str:
        return f"{self.namespace}j"

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]


def link_for(namespace: str, network: str) -> Link:
    """The link for ``namespace`` on ``network`` (a /30: first address here, second Janus's)."""
    if not namespace or len(namespace) + 1 > IFNAMSIZ or not namespace.isalnum():
        raise NamespaceError(
            f"namespace {namespace!r}: letters and digits, at most {IFNAMSIZ - 1} of them"
        )
    try:
        net = ipaddress.IPv4Network(network)
    except ValueError as exc:
        raise NamespaceError(f"network {network!r}: {exc}") from None
    if net.prefixlen != 30:  # two hosts: this end and Janus's
        raise NamespaceError(f"network {network!r}: give a /30 (two addresses)")
    here, janus = list(net.hosts())
    return Link(namespace, str(here), str(janus))


def _ip(*args: str, check: bool = True) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607 - iproute2's ip with arguments of our own
    if check and done.returncode != 0:
        raise NamespaceError(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")


def create(link: Link) -> None:
    """Make the namespace and the veth pair, replacing any left from an earlier run."""
    if os.geteuid() != 0:
        raise NamespaceError(
            "running Janus in a network namespace needs root (ip netns); run as root, or "
            "unset WICKETGATE_JANUS_NAMESPACE and give Janus an address on the secure network "
            "(WICKETGATE_JANUS_ADDRESS, WICKETGATE_JANUS_INTERFACE)"
        )
    if shutil.which("ip") is None:
        raise NamespaceError("the ip command is missing: install the Debian package iproute2")
    remove(link)
    _ip("netns", "add", link.namespace)
    try:
        _ip(
            "link", "add", link.host_interface, "type", "veth", "peer", "name", link.janus_interface
        )
        _ip("link", "set", link.janus_interface, "netns", link.namespace)
        _ip("addr", "add", f"{link.host_address}/30", "dev", link.host_interface)
        _ip("link", "set", link.host_interface, "up")
        inside = ("netns", "exec", link.namespace, "ip")
        _ip(*inside, "addr", "add", f"{link.janus_address}/30", "dev", link.janus_interface)
        _ip(*inside, "link", "set", link.janus_interface, "up")
        _ip(*inside, "link", "set", "lo", "up")
    except NamespaceError:
        remove(link)
        raise


def exists(link: Link) -> bool:
    """Whether the namespace is there with Janus's end of the pair in it."""
    done = subprocess.run(  # noqa: S603 - iproute2's ip with arguments of our own
        link.command("ip", "link", "show", link.janus_interface),
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def remove(link: Link) -> None:
    """Take the namespace and the pair away (either end going takes the other), ending
    anything still running in it first: a namespace whose name is gone but which still has
    a process in it lives on unseen."""
    done = subprocess.run(  # noqa: S603 - iproute2's ip with arguments of our own
        ["ip", "netns", "pids", link.namespace],  # noqa: S607 - iproute2's ip, found on PATH
        capture_output=True,
        text=True,
        check=False,
    )
    for pid in done.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "del", link.namespace, check=False)
    _ip("link", "del", link.host_interface, check=False)


@contextmanager
def linked(link: Link) -> Iterator[Link]:
    create(link)
    try:
        yield link
    finally:
        remove(link)
