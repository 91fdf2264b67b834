#!/bin/sh
# Network namespace for Janus, joined to the root namespace by a veth pair.
#
#   root ns:   vj-host   10.77.0.1/30   (browsers, Django, event-handler listener)
#   janus ns:  vj-janus  10.77.0.2/30   (Janus HTTP API :8088, Admin API :7088, RTP)
#
# Why: ICE (libnice in Janus, and Chromium) ignores loopback addresses, so a
# Janus + browser test on one machine needs a real (non-loopback) interface
# pair. No default route is added inside the namespace: Janus can reach only
# 10.77.0.1, nothing else.
#
# usage: netns.sh up|down|status   (root needed; all names overridable by env)
set -eu

NS=${JANUS_NS:-janusns}
HOST_IF=${JANUS_HOST_IF:-vj-host}
NS_IF=${JANUS_NS_IF:-vj-janus}
HOST_IP=${JANUS_HOST_IP:-10.77.0.1}
NS_IP=${JANUS_NS_IP:-10.77.0.2}
PREFIX=${JANUS_PREFIX:-30}

up() {
    if ip netns list | grep -qw "$NS"; then
        echo "netns $NS already exists" >&2
        exit 1
    fi
    ip netns add "$NS"
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
    ip addr add "$HOST_IP/$PREFIX" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip netns exec "$NS" ip addr add "$NS_IP/$PREFIX" dev "$NS_IF"
    ip netns exec "$NS" ip link set "$NS_IF" up
    ip netns exec "$NS" ip link set lo up
    # sanity check
    ip netns exec "$NS" ip -br addr show "$NS_IF" | grep -q "$NS_IP"
    echo "netns $NS up: $HOST_IF=$HOST_IP <-> $NS_IF=$NS_IP (in $NS)"
}

down() {
    # Deleting the namespace destroys vj-janus, and with it its peer vj-host.
    # Any process still running inside keeps the netns alive only as an
    # anonymous namespace, so kill Janus first (prototype.py does).
    if ip netns pids "$NS" >/dev/null 2>&1; then
        pids=$(ip netns pids "$NS" 2>/dev/null || true)
        if [ -n "$pids" ]; then
            echo "warning: processes still in $NS: $pids (killing them)" >&2
            for p in $pids; do kill "$p" 2>/dev/null || true; done
            sleep 1
        fi
    fi
    ip netns del "$NS" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    echo "netns $NS down"
}

status() {
    ip netns list
    ip -br addr show "$HOST_IF" 2>/dev/null || echo "$HOST_IF: absent"
    ip netns exec "$NS" ip -br addr 2>/dev/null || echo "netns $NS: absent"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
