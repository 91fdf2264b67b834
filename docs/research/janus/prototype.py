#!/usr/bin/env python3
"""Janus (Debian package) + VideoRoom + headless Chromium proof of concept for Wicketgate.

Run as root with the project's venv (needs playwright, uses Debian's /usr/bin/chromium):

    /work/main/.venv/bin/python /work/janus-research/prototype.py [--quick] [--skip-capacity] [--skip-expiry]

What it does (each step prints its measurements; everything is torn down at the end,
also on Ctrl-C / errors):
  0. network namespace "janusns" + veth 10.77.0.1 (root ns) <-> 10.77.0.2 (Janus ns)   [netns.sh]
  1. stored-token mode check (Admin API add_token / remove_token), then restart in
     signed-token mode; signed / expired / bad-signature / no-plugin tokens
  2. room with secret + pin + signed_tokens; 2 publisher pages + 1 watch-only page;
     framesDecoded rates; moderate (mute/unmute video); destroy -> time to media stop;
     Admin API destroy_session for the watcher
  3. recording room (record=true, rec_dir) -> kick -> destroy -> janus-pp-rec -> .webm/.opus
  4. token expiry during a call (session ends at expiry + <= session_timeout)
  5. capacity: N rooms x 2 publishers at 320x240, Janus CPU from /proc/<pid>/stat
  6. event-handler (sample HTTP evh) events received, grouped by type
Outputs go to run/ (configs, janus logs, events.json, api_examples.json, recordings).
"""
import argparse
import base64
import functools
import hashlib
import hmac
import http.server
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RUN = ROOT / "run"
TEMPLATES = ROOT / "conf-templates"

NS = "janusns"
NS_IF = "vj-janus"
HOST_IP = "10.77.0.1"
NS_IP = "10.77.0.2"
JANUS_URL = f"http://{NS_IP}:8088/janus"
ADMIN_URL = f"http://{NS_IP}:7088/admin"
WEB_HOST, WEB_PORT = "127.0.0.1", 8765          # pages: http://127.0.0.1 is a secure context -> getUserMedia allowed
EVH_PORT = 7099                                 # event handler listener on HOST_IP (reachable from the netns)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream"]

TOKEN_SECRET = secrets.token_urlsafe(24)
ADMIN_SECRET = secrets.token_urlsafe(24)
ADMIN_KEY = secrets.token_urlsafe(24)           # VideoRoom admin_key: needed to create rooms
# Must be > 30 s with the HTTP transport: a long poll with no events returns only after 30 s and
# janus.js sends keepalives only over WebSockets, so with 20 s idle sessions time out mid-call.
SESSION_TIMEOUT = 40

API_EXAMPLES = []                               # (title, request, response) for NOTES.md


def now_ms():
    return int(time.time() * 1000)


def say(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- tokens
def sign_token(secret, realm, descriptors, expiry):
    """Janus signed token: "<expiry>,<realm>[,<descriptor>...]:<base64(HMAC-SHA1(secret, data))>".

    Core API tokens: realm "janus", descriptors = plugin packages the token may attach to.
    VideoRoom room tokens (room created with signed_tokens=true): realm "janus.plugin.videoroom",
    descriptor "room=<room id>". Standard base64 WITH padding (g_base64_encode).
    """
    data = ",".join([str(int(expiry)), realm, *descriptors])
    sig = base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return f"{data}:{sig}"


def core_token(valid_for_s, secret=None):
    return sign_token(secret or TOKEN_SECRET, "janus", ["janus.plugin.videoroom"], time.time() + valid_for_s)


def room_token(room, valid_for_s, secret=None):
    return sign_token(secret or TOKEN_SECRET, "janus.plugin.videoroom", [f"room={room}"], time.time() + valid_for_s)


# ---------------------------------------------------------------- HTTP helpers
def post_json(url, body, timeout=10):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return {"http_error": e.code, "body": e.read().decode(errors="replace")}


def tx():
    return secrets.token_hex(6)


class JanusAPI:
    """Server-side (Django-side) client of the Janus HTTP API, one session + one VideoRoom handle."""

    def __init__(self, token):
        self.token = token
        r = post_json(JANUS_URL, {"janus": "create", "transaction": tx(), "token": token})
        if r.get("janus") != "success":
            raise RuntimeError(f"create session failed: {r}")
        self.session = r["data"]["id"]
        r = post_json(f"{JANUS_URL}/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom",
                                                      "transaction": tx(), "token": token})
        if r.get("janus") != "success":
            raise RuntimeError(f"attach failed: {r}")
        self.handle = r["data"]["id"]
        # Sessions die after session_timeout s without requests: keep ours alive.
        # (Alternative for Django: one short-lived session per operation: create, attach, message, destroy.)
        self._stop = threading.Event()
        threading.Thread(target=self._keepalive, daemon=True).start()

    def _keepalive(self):
        while not self._stop.wait(SESSION_TIMEOUT / 3):
            post_json(f"{JANUS_URL}/{self.session}", {"janus": "keepalive", "transaction": tx(), "token": self.token})

    def message(self, body, title=None):
        """Synchronous VideoRoom requests (create, destroy, kick, moderate, listparticipants,
        enable_recording, edit, exists, allowed...) answer directly in the HTTP response."""
        req = {"janus": "message", "transaction": tx(), "token": self.token, "body": body}
        r = post_json(f"{JANUS_URL}/{self.session}/{self.handle}", req)
        if title:
            API_EXAMPLES.append((title, redact(req), r))
        return r

    def data(self, body, title=None):
        r = self.message(body, title)
        return (r.get("plugindata") or {}).get("data") or r

    def close(self):
        self._stop.set()
        post_json(f"{JANUS_URL}/{self.session}", {"janus": "destroy", "transaction": tx(), "token": self.token})


def admin(body, path="", title=None):
    req = dict(body, transaction=tx(), admin_secret=ADMIN_SECRET)
    r = post_json(ADMIN_URL + path, req)
    if title:
        API_EXAMPLES.append((title, redact(req), r))
    return r


def redact(obj):
    s = json.dumps(obj)
    for secret, name in ((ADMIN_SECRET, "<ADMIN_SECRET>"), (ADMIN_KEY, "<ADMIN_KEY>")):
        s = s.replace(secret, name)
    return json.loads(s)


# ---------------------------------------------------------------- local servers
class EventSink:
    """Plays the Wicketgate endpoint that receives the sample event handler's POSTs."""

    def __init__(self):
        self.events = []          # (arrival_ms, event)
        self.lock = threading.Lock()
        self.posts = 0
        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                t = now_ms()
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {"unparsed": body.decode(errors="replace")}
                with sink.lock:
                    sink.posts += 1
                    for ev in (data if isinstance(data, list) else [data]):
                        sink.events.append((t, ev))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer((HOST_IP, EVH_PORT), H)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def since(self, t0):
        with self.lock:
            return [e for (t, e) in self.events if t >= t0]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def start_web():
    httpd = http.server.ThreadingHTTPServer((WEB_HOST, WEB_PORT), functools.partial(QuietHandler, directory=str(ROOT)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


# ---------------------------------------------------------------- Janus process
def render_configs(conf_dir, signed=True, evh_events="all", stats_period=5):
    conf_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "CONF_DIR": str(conf_dir), "SESSION_TIMEOUT": str(SESSION_TIMEOUT), "TOKEN_SECRET": TOKEN_SECRET,
        "ADMIN_SECRET": ADMIN_SECRET, "RTP_PORT_RANGE": "20000-20999", "NS_IF": NS_IF,
        "STATS_PERIOD": str(stats_period), "NS_IP": NS_IP, "HOST_IP": HOST_IP, "ADMIN_KEY": ADMIN_KEY,
        "EVH_EVENTS": evh_events, "EVH_URL": f"http://{HOST_IP}:{EVH_PORT}/janus-events",
    }
    for tmpl in TEMPLATES.glob("*.jcfg.tmpl"):
        text = tmpl.read_text()
        for k, v in values.items():
            text = text.replace("{{%s}}" % k, v)
        if not signed:   # stored-token mode: token_auth without token_auth_secret
            text = text.replace("\ttoken_auth_secret =", "\t#token_auth_secret =")
        (conf_dir / tmpl.name[:-5]).write_text(text)


class Janus:
    def __init__(self, conf_dir, log_path):
        self.log_path = log_path
        self.logf = open(log_path, "w")
        # `ip netns exec` execs janus in place, so the pid is Janus' own pid
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS, "janus", "-F", str(conf_dir)],
                                     stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited ({self.proc.returncode}), see {log_path}")
            try:
                with urllib.request.urlopen(JANUS_URL + "/info", timeout=1) as r:
                    self.info = json.loads(r.read())
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("janus did not answer on " + JANUS_URL)

    def cpu_ticks(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])     # utime + stime (fields 14, 15 of stat)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()


def netns(cmd):
    subprocess.run(["sh", str(ROOT / "netns.sh"), cmd], check=(cmd == "up"))


# ---------------------------------------------------------------- browser helpers
class Pages:
    """One browser context per page: Chromium allows only 6 HTTP/1.1 connections per host and
    profile, and every janus.js HTTP session keeps one long poll open -> the 7th page in a shared
    context hangs (its attach request queues behind the long polls)."""

    def __init__(self, browser):
        self.browser = browser
        self.ctxs = []
        self.pages = {}

    def open(self, name, **params):
        q = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in params.items())
        ctx = self.browser.new_context()
        self.ctxs.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda e, n=name: say(f"   [{n}] page error: {e}"))
        page.goto(f"http://{WEB_HOST}:{WEB_PORT}/web/room.html?server={JANUS_URL}&{q}")
        self.pages[name] = page
        return page

    def summary(self, name):
        return self.pages[name].evaluate("W_summary()")

    def all(self):
        return {n: self.summary(n) for n in self.pages}

    def close(self):
        for c in self.ctxs:
            c.close()


def frames(summary):
    return {k: s["framesDecoded"] for k, s in summary["subs"].items()}


def wait_media(pages, names, want_subs, timeout=45):
    """Wait until every page in names has want_subs[name] subscriber PCs decoding video."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ok = True
        for n in names:
            s = pages.summary(n)
            good = [k for k, v in s["subs"].items() if v["framesDecoded"] > 10]
            if len(good) < want_subs[n]:
                ok = False
                break
        if ok:
            return True
        time.sleep(0.5)
    for n in names:
        s = pages.summary(n)
        say(f"   !! {n}: state={s['state']} errors={s['errors']} subs={ {k: v['framesDecoded'] for k, v in s['subs'].items()} }")
        say(f"      last events: {[(e['type'], str(e['data'])[:150]) for e in s['events'][-6:]]}")
    return False


def measure_rates(pages, names, seconds=5.0):
    a = {n: pages.summary(n) for n in names}
    t0 = time.time()
    time.sleep(seconds)
    b = {n: pages.summary(n) for n in names}
    dt = time.time() - t0
    out = {}
    for n in names:
        out[n] = {}
        for k, sb in b[n]["subs"].items():
            sa = a[n]["subs"].get(k, {"framesDecoded": 0, "audioPackets": 0})
            res = [f"{v['w']}x{v['h']}" for v in sb["video"].values()]
            out[n][k] = {"label": sb["label"], "fps": round((sb["framesDecoded"] - sa["framesDecoded"]) / dt, 1),
                         "audio_pps": round((sb["audioPackets"] - sa["audioPackets"]) / dt, 1),
                         "framesDecoded": sb["framesDecoded"], "res": res, "pc": sb["pcState"]}
    return out


def print_rates(rates):
    for n, subs in rates.items():
        for k, r in subs.items():
            say(f"   {n:>8} <- {r['label']:<8} framesDecoded={r['framesDecoded']:>6}  video {r['fps']:>5} fps "
                f"{','.join(r['res'])}  audio {r['audio_pps']:>5} pkt/s  pc={r['pc']}")


def first_event(summary, pred, after):
    for e in summary["events"]:
        if e["t"] >= after and pred(e):
            return e["t"]
    return None


# ---------------------------------------------------------------- steps
def step_stored_tokens(sink):
    say("\n== 1a. stored-token mode (token_auth=true, no token_auth_secret) ==")
    conf = RUN / "conf-stored"
    render_configs(conf, signed=False)
    j = Janus(conf, RUN / "janus-stored.log")
    try:
        tok = "booking-1234-" + secrets.token_hex(8)
        r = post_json(JANUS_URL, {"janus": "create", "transaction": tx(), "token": tok})
        say(f"   create with unknown token -> {r.get('error')}")
        r = admin({"janus": "add_token", "token": tok, "plugins": ["janus.plugin.videoroom"]},
                  title="Admin API add_token (stored mode)")
        say(f"   admin add_token -> {r.get('janus')} {r.get('data')}")
        r = post_json(JANUS_URL, {"janus": "create", "transaction": tx(), "token": tok})
        say(f"   create with added token -> {r.get('janus')}")
        sid = r["data"]["id"]
        r2 = post_json(f"{JANUS_URL}/{sid}", {"janus": "attach", "plugin": "janus.plugin.videoroom",
                                              "transaction": tx(), "token": tok})
        say(f"   attach videoroom -> {r2.get('janus')}")
        r = admin({"janus": "list_tokens"}, title="Admin API list_tokens (stored mode)")
        say(f"   list_tokens -> {r.get('data')}")
        r = admin({"janus": "remove_token", "token": tok}, title="Admin API remove_token (stored mode)")
        r = post_json(f"{JANUS_URL}/{sid}", {"janus": "keepalive", "transaction": tx(), "token": tok})
        say(f"   keepalive on existing session after remove_token -> {r.get('janus')} {r.get('error')}")
        r = post_json(JANUS_URL, {"janus": "create", "transaction": tx(), "token": tok})
        say(f"   new create after remove_token -> {r.get('error')}")
    finally:
        j.stop()


def step_signed_tokens():
    say("\n== 1b. signed-token mode (token_auth_secret) ==")
    cases = [
        ("no token", None),
        ("valid (expires in 60 s)", core_token(60)),
        ("expired 5 s ago", core_token(-5)),
        ("wrong secret", core_token(60, secret="not-the-secret")),
        ("valid but no plugin listed", sign_token(TOKEN_SECRET, "janus", [], time.time() + 60)),
    ]
    for name, tok in cases:
        body = {"janus": "create", "transaction": tx()}
        if tok:
            body["token"] = tok
        r = post_json(JANUS_URL, body)
        line = f"   {name:<28} create -> {r['janus']} {r.get('error', {}).get('code', '')}"
        if r["janus"] == "success":
            a = post_json(f"{JANUS_URL}/{r['data']['id']}", {"janus": "attach", "plugin": "janus.plugin.videoroom",
                                                           "transaction": tx(), "token": tok})
            line += f"; attach videoroom -> {a['janus']} {a.get('error', {}).get('code', '')} {a.get('error', {}).get('reason', '')}"
        say(line)
        if name.startswith("expired"):
            API_EXAMPLES.append(("create session with an expired signed token", body, r))
    r = admin({"janus": "add_token", "token": "x"}, title="Admin API add_token in signed mode (refused)")
    say(f"   admin add_token in signed mode -> {r.get('janus')} {r.get('error')}")


def create_room(api, room, record=False, rec_dir=None, title=None, publishers=6, pin="4711", signed=True,
                require_pvtid=False):
    body = {"request": "create", "room": room, "admin_key": ADMIN_KEY, "description": f"booking {room}",
            "secret": "room-secret-" + str(room), "pin": pin, "is_private": True, "publishers": publishers,
            "signed_tokens": signed, "bitrate": 256000, "videocodec": "vp8", "audiocodec": "opus",
            "notify_joining": True, "permanent": False, "require_pvtid": require_pvtid}
    if rec_dir:
        body.update(record=record, rec_dir=str(rec_dir))
    r = api.data(body, title)
    if r.get("videoroom") != "created":
        raise RuntimeError(f"room create failed: {r}")
    return body["secret"], pin


def step_room_token_checks(api, room, pin):
    say("   room-token checks (join as subscriber to a feed-less request, via the server handle):")
    for name, tok in [("no room token", None), ("room token for another room", room_token(room + 1, 60)),
                      ("expired room token", room_token(room, -5)), ("valid room token, wrong pin", room_token(room, 60))]:
        body = {"request": "join", "ptype": "publisher", "room": room, "display": "probe", "pin": pin}
        if tok:
            body["token"] = tok
        if "wrong pin" in name:
            body["pin"] = "0000"
        # join is asynchronous: the HTTP reply is an "ack", the result arrives as an event (long poll)
        r = api.message(body)
        ev = poll_event(api)
        err = (ev.get("plugindata", {}).get("data", {}) if ev else {})
        say(f"     {name:<30} -> {err.get('error_code')} {err.get('error')}")
        if name == "expired room token":
            API_EXAMPLES.append(("join with expired room token (async error event)", body, ev))


def end_sessions(session_ids, record_examples=False):
    """Server-side end of browser sessions: hang up every PeerConnection, then destroy the sessions.
    hangup_webrtc is asynchronous: destroying the session right after it loses the "hangup" event
    (janus log: "Can't notify event, no session object") and the browser PC then stays 'connected'
    until ICE consent freshness fails (~30 s). So: hangup all, wait a little, then destroy."""
    ex = record_examples
    for sid in session_ids:
        r = admin({"janus": "list_handles"}, path=f"/{sid}", title="Admin API list_handles" if ex else None)
        for h in r.get("handles", []):
            admin({"janus": "hangup_webrtc"}, path=f"/{sid}/{h}", title="Admin API hangup_webrtc" if ex else None)
            ex = False
    time.sleep(0.5)
    for i, sid in enumerate(session_ids):
        admin({"janus": "destroy_session"}, path=f"/{sid}", title="Admin API destroy_session" if record_examples and i == 0 else None)


def poll_event(api, timeout=5):
    try:
        with urllib.request.urlopen(f"{JANUS_URL}/{api.session}?maxev=1&token={urllib.parse.quote(api.token)}",
                                    timeout=timeout + 35) as r:
            data = json.loads(r.read())
            return data[0] if isinstance(data, list) else data
    except OSError:
        return None


def step_call(browser, api, sink):
    say("\n== 2. call: 2 publishers + 1 staff watcher, room with secret + pin + signed_tokens ==")
    room = 4242
    secret, pin = create_room(api, room, title="VideoRoom create (secret, pin, signed_tokens)")
    step_room_token_checks(api, room, pin)
    pages = Pages(browser)
    # extra descriptors after the plugin name are allowed (Janus checks expiry, realm "janus" and that one
    # descriptor equals the plugin package); the token is echoed in the event handler's "attached" events,
    # so a server-signed "wg-booking=<id>" ties handles to a booking without trusting client opaque_ids
    ctok = sign_token(TOKEN_SECRET, "janus", ["janus.plugin.videoroom", f"wg-booking={room}"], time.time() + 3600)
    rtok = room_token(room, 3600)
    t_join = now_ms()
    for who in ("alice", "bob"):
        pages.open(who, role="pub", room=room, display=who, token=ctok, rtoken=rtok, pin=pin)
    pages.open("staff", role="watch", room=room, display="staff", token=ctok, rtoken=rtok, pin=pin, expect=2)
    if not wait_media(pages, ["alice", "bob", "staff"], {"alice": 1, "bob": 1, "staff": 1}):
        raise RuntimeError("media did not start")
    t_media = now_ms()
    say(f"   all three pages decoding remote video {t_media - t_join} ms after the pages were opened")
    s = pages.all()
    for n in s:
        js = [e["t"] for e in s[n]["events"] if e["type"].endswith("-webrtc") and e["data"]["on"]]
        say(f"   {n}: session {s[n]['sessionId']}, webrtcup events at +{[t - t_join for t in js]} ms")
    rates = measure_rates(pages, ["alice", "bob", "staff"], 5)
    print_rates(rates)
    parts = api.data({"request": "listparticipants", "room": room}, title="VideoRoom listparticipants")
    say(f"   listparticipants: {[(p['display'], p['id'], p['publisher']) for p in parts['participants']]}"
        " (staff is not listed: it never joined as publisher)")
    alice_id = pages.summary("alice")["myId"]
    bob_id = pages.summary("bob")["myId"]

    # ---- moderate: mute alice's video for everybody
    say("   moderate: mute alice's video (mid 1) ...")
    t_mod = now_ms()
    r = api.data({"request": "moderate", "secret": secret, "room": room, "id": alice_id, "mid": "1", "mute": True},
                 title="VideoRoom moderate (mute video mid 1)")
    time.sleep(3)
    b = pages.summary("bob")
    sub = b["subs"][f"feed{alice_id}"]
    say(f"     -> {r.get('videoroom')}; bob's last decoded frame of alice at {sub['lastVideoInc'] - t_mod} ms after the call"
        f" (audio still flowing: last audio pkt {sub['lastAudioInc'] and sub['lastAudioInc'] - t_mod} ms)")
    f1 = sub["framesDecoded"]
    time.sleep(1.5)
    f2 = pages.summary("bob")["subs"][f"feed{alice_id}"]["framesDecoded"]
    say(f"     frames of alice decoded by bob during 1.5 s while muted: {f2 - f1}")
    t_un = now_ms()
    api.data({"request": "moderate", "secret": secret, "room": room, "id": alice_id, "mid": "1", "mute": False},
             title="VideoRoom moderate (unmute)")
    deadline = time.time() + 10
    while time.time() < deadline:
        f3 = pages.summary("bob")["subs"][f"feed{alice_id}"]["framesDecoded"]
        if f3 > f2 + 5:
            break
        time.sleep(0.2)
    say(f"     unmute -> video back at bob after ~{now_ms() - t_un} ms (frames {f2} -> {f3}; a keyframe is requested by Janus)")

    # ---- destroy
    say("   destroy room ...")
    idx = {n: pages.summary(n)["nevents"] for n in pages.pages}
    t_api = now_ms()
    r = api.data({"request": "destroy", "room": room, "secret": secret}, title="VideoRoom destroy")
    t_resp = now_ms()
    time.sleep(4)
    say(f"     destroy -> {r.get('videoroom')} (HTTP reply after {t_resp - t_api} ms)")
    destroy_times = {}
    for n in pages.pages:
        s = pages.summary(n)
        ev = s["events"]
        t_destroyed = first_event(s, lambda e: e["type"] == "pub-msg" and e["data"].get("videoroom") == "destroyed", t_api)
        t_hangup = first_event(s, lambda e: e["type"] == "pub-webrtc" and not e["data"]["on"], t_api)
        t_leaving = first_event(s, lambda e: e["type"].startswith("sub:") and e["type"].endswith("-msg")
                                and (e["data"].get("videoroom") in ("updated",) or "leaving" in e["data"]
                                     or "unpublished" in e["data"]), t_api)
        stops = {k: (v["lastVideoInc"] - t_api if v["lastVideoInc"] else None) for k, v in s["subs"].items()}
        states = {k: v["pcState"] for k, v in s["subs"].items()}
        destroy_times[n] = dict(destroyed_event=t_destroyed and t_destroyed - t_api,
                                pub_pc_hangup=t_hangup and t_hangup - t_api,
                                last_remote_frame=stops, sub_pc=states)
        say(f"     {n:>6}: 'destroyed' event +{t_destroyed and t_destroyed - t_api} ms, own publisher PC hangup "
            f"+{t_hangup and t_hangup - t_api} ms, last remote frame decoded at {stops} ms, subscriber PCs {states}")
    # ---- after a room destroy the sessions and the subscriber PCs stay up (without media); the
    # watcher got no event at all. End everything server-side with the Admin API:
    # hangup_webrtc on every handle (client gets a "hangup" event -> PC closed), then destroy_session.
    r = admin({"janus": "list_sessions"}, title="Admin API list_sessions")
    say(f"     sessions alive after destroy: {len(r.get('sessions', []))} (3 pages + this script's own)")
    t_adm = now_ms()
    end_sessions([pages.summary(n)["sessionId"] for n in ("staff", "alice", "bob")], record_examples=True)
    t_adm_done = now_ms()
    time.sleep(3)
    for n in pages.pages:
        st = pages.summary(n)
        t_h = [e["t"] - t_adm for e in st["events"] if e["t"] >= t_adm and e["type"].endswith("-webrtc") and not e["data"]["on"]]
        t_c = [e["t"] - t_adm for e in st["events"] if e["t"] >= t_adm and e["type"].endswith("-pcstate") and e["data"] == "closed"]
        kinds = sorted({e["type"].split(":")[0] + ":" + e["type"].rsplit("-", 1)[-1] for e in st["events"] if e["t"] >= t_adm})
        say(f"     {n:>6}: hangup events +{t_h} ms, subscriber PCs {[v['pcState'] for v in st['subs'].values()]}, "
            f"events {kinds}")
        destroy_times[n]["admin_hangup_ms"] = t_h
    say(f"     (Admin API calls for 3 sessions took {t_adm_done - t_adm} ms)")
    evsample = {n: [e for e in pages.summary(n)["events"] if e["type"].endswith("-msg")][:6] for n in ("alice",)}
    pages.close()
    return dict(rates=rates, destroy=destroy_times, t_media=t_media - t_join, page_msgs=evsample)


def step_recording(browser, api):
    say("\n== 3. recording (rec_dir + enable_recording) + kick ==")
    room = 4343
    rec_dir = RUN / "rec"
    if rec_dir.exists():
        shutil.rmtree(rec_dir)
    rec_dir.mkdir(parents=True)
    os.chmod(rec_dir, 0o777)
    # require_pvtid: subscriptions must carry the publisher's private_id, so a kick also cuts the
    # kicked user's own subscriptions (without it the kicked user keeps receiving the others)
    # record=false + rec_dir at create, then enable_recording once both are publishing (toggle per room;
    # record=true at create works too and records every publisher from its first packet)
    secret, pin = create_room(api, room, record=False, rec_dir=rec_dir, title="VideoRoom create with rec_dir",
                              require_pvtid=True)
    pages = Pages(browser)
    ctok, rtok = core_token(3600), room_token(room, 3600)
    for who in ("alice", "bob"):
        pages.open(who, role="pub", room=room, display=who, token=ctok, rtoken=rtok, pin=pin)
    if not wait_media(pages, ["alice", "bob"], {"alice": 1, "bob": 1}):
        raise RuntimeError("media did not start (recording room)")
    r = api.data({"request": "enable_recording", "room": room, "secret": secret, "record": True},
                 title="VideoRoom enable_recording")
    say(f"   enable_recording -> {r}")
    time.sleep(8)
    bob = pages.summary("bob")
    t_api = now_ms()
    r = api.data({"request": "kick", "room": room, "secret": secret, "id": bob["myId"]}, title="VideoRoom kick")
    time.sleep(3)
    b = pages.summary("bob")
    a = pages.summary("alice")
    t_left = first_event(b, lambda e: e["type"] == "pub-msg" and e["data"].get("leaving") == "ok", t_api)
    t_hang = first_event(b, lambda e: e["type"] == "pub-webrtc" and not e["data"]["on"], t_api)
    t_al = first_event(a, lambda e: e["type"] == "pub-msg" and ("kicked" in e["data"] or "leaving" in e["data"]
                                                                   or "unpublished" in e["data"]), t_api)
    a_sub = a["subs"].get(f"feed{bob['myId']}", {})
    b_sub = list(b["subs"].values())[0]
    say(f"   kick bob -> {r.get('videoroom')}: bob got leaving/kicked +{t_left and t_left - t_api} ms, bob's PC hangup "
        f"+{t_hang and t_hang - t_api} ms; alice notified +{t_al and t_al - t_api} ms; "
        f"alice's last frame of bob +{a_sub.get('lastVideoInc') and a_sub['lastVideoInc'] - t_api} ms (pc {a_sub.get('pcState')}); "
        f"bob's own subscription to alice (require_pvtid=true): last frame +{b_sub['lastVideoInc'] - t_api} ms (pc {b_sub['pcState']})")
    api.data({"request": "enable_recording", "room": room, "secret": secret, "record": False})
    api.data({"request": "destroy", "room": room, "secret": secret})
    time.sleep(1)
    pages.close()
    time.sleep(1)
    files = sorted(rec_dir.glob("*.mjr"))
    say(f"   .mjr files: {[(f.name, f.stat().st_size) for f in files]}")
    out = []
    for f in files:
        hdr = subprocess.run(["janus-pp-rec", "-j", str(f)], capture_output=True, text=True).stdout.strip()
        kind = "video" if "-video-" in f.name else "audio"
        target = f.with_suffix(".webm" if kind == "video" else ".opus")
        p = subprocess.run(["janus-pp-rec", str(f), str(target)], capture_output=True, text=True)
        size = target.stat().st_size if target.exists() else None
        probe = ""
        if target.exists() and shutil.which("ffprobe"):
            pr = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                                 "format=duration:stream=codec_name,width,height,nb_read_frames",
                                 "-of", "compact", str(target)], capture_output=True, text=True)
            probe = pr.stdout.strip().replace("\n", " | ")
        say(f"   janus-pp-rec {f.name} -> {target.name}: rc={p.returncode} {size} bytes  header={hdr}  {probe}")
        out.append(dict(mjr=f.name, mjr_size=f.stat().st_size, out=target.name, out_size=size, header=hdr, probe=probe))
    if shutil.which("ffmpeg") and len(out) >= 2:
        # one participant's audio + video muxed into one file, and a still frame to look at
        v = rec_dir / out[1]["out"]
        a = rec_dir / out[0]["out"]
        merged = rec_dir / "participant1-merged.webm"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(v), "-i", str(a), "-c", "copy", str(merged)])
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "4", "-i", str(v), "-frames:v", "1", str(rec_dir / "frame.png")])
        if merged.exists():
            say(f"   ffmpeg -c copy video.webm + audio.opus -> {merged.name}: {merged.stat().st_size} bytes; still frame: {rec_dir / 'frame.png'}")
    return out


def step_expiry(browser, api):
    say(f"\n== 4. signed token expiring during a call (session_timeout={SESSION_TIMEOUT}s) ==")
    room = 4444
    secret, pin = create_room(api, room)
    pages = Pages(browser)
    expiry = time.time() + 25
    ctok = sign_token(TOKEN_SECRET, "janus", ["janus.plugin.videoroom"], expiry)
    rtok = room_token(room, 25)
    for who in ("carol", "dave"):
        pages.open(who, role="pub", room=room, display=who, token=ctok, rtoken=rtok, pin=pin)
    if not wait_media(pages, ["carol", "dave"], {"carol": 1, "dave": 1}, timeout=20):
        raise RuntimeError("media did not start (expiry room)")
    t_exp = int(expiry * 1000)
    say(f"   call up; token expires in {int(expiry - time.time())} s; waiting for the call to end by itself ...")
    deadline = expiry + SESSION_TIMEOUT + 15
    while time.time() < deadline:
        ss = [pages.summary(n) for n in ("carol", "dave")]
        if all(first_event(x, lambda e: e["type"] == "pub-webrtc" and not e["data"]["on"], 0) for x in ss):
            break
        time.sleep(1)
    time.sleep(2)
    res = {}
    for n in ("carol", "dave"):
        s = pages.summary(n)
        t_h = first_event(s, lambda e: e["type"] == "pub-webrtc" and not e["data"]["on"], t_exp - 1000)
        last = {k: v["lastVideoInc"] and v["lastVideoInc"] - t_exp for k, v in s["subs"].items()}
        errs = s["errors"][:2]
        res[n] = dict(hangup_after_expiry_ms=t_h and t_h - t_exp, last_frame_after_expiry_ms=last, errors=errs)
        evs = [(round((e["t"] - t_exp) / 1000, 1), e["type"], e["data"] if not isinstance(e["data"], dict) else
                {k: v for k, v in e["data"].items() if k in ("on", "reason", "videoroom", "leaving", "unpublished")})
               for e in s["events"] if e["t"] >= t_exp - 2000 and not e["type"].endswith("-track")]
        say(f"   {n}: publisher PC hangup {t_h and (t_h - t_exp) / 1000} s after expiry; last remote frame "
            f"{ {k: (v / 1000 if v else None) for k, v in last.items()} } s after expiry; page errors {errs}")
        say(f"      page events from expiry-2s (s rel. to expiry): {evs[:14]}")
    r = api.data({"request": "exists", "room": room})
    say(f"   room still exists: {r.get('exists')} (token expiry ends sessions, not rooms)")
    api.data({"request": "destroy", "room": room, "secret": secret})
    pages.close()
    return res


def system_cpu():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]      # total, idle + iowait


def step_capacity(browser, api, janus, ns=(2, 4), render="0"):
    say("\n== 5. capacity: N rooms x 2 publishers (320x240), Janus CPU ==")
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.time(), janus.cpu_ticks()
    time.sleep(5)
    idle = (janus.cpu_ticks() - c0) / hz / (time.time() - t0) * 100
    say(f"   idle Janus CPU: {idle:.1f} %")
    results = {"idle_cpu_pct": round(idle, 2)}
    for n in ns:
        pages = Pages(browser)
        rooms = []
        names = []
        ok = True
        for i in range(n):   # staggered: one room at a time (all at once starves 2 cores during setup)
            room = 5000 + 100 * n + i
            secret, pin = create_room(api, room)
            rooms.append((room, secret))
            ctok, rtok = core_token(3600), room_token(room, 3600)
            for who in ("a", "b"):
                name = f"r{i}{who}"
                pages.open(name, role="pub", room=room, display=name, token=ctok, rtoken=rtok, pin=pin, statsms=1000,
                           render=render)
                names.append(name)
            ok = wait_media(pages, names[-2:], {nm: 1 for nm in names[-2:]}, timeout=45) and ok
        time.sleep(3)
        a = {nm: pages.summary(nm) for nm in names}
        t0, c0, sys0 = time.time(), janus.cpu_ticks(), system_cpu()
        time.sleep(15)
        dt = time.time() - t0
        cpu = (janus.cpu_ticks() - c0) / hz / dt * 100
        sys1 = system_cpu()
        busy = 100 * (1 - (sys1[1] - sys0[1]) / max(1, sys1[0] - sys0[0]))
        b = {nm: pages.summary(nm) for nm in names}
        fps = [sum(v["framesDecoded"] for v in b[nm]["subs"].values()) - sum(v["framesDecoded"] for v in a[nm]["subs"].values())
               for nm in names]
        fps = [f / dt for f in fps]
        load = os.getloadavg()[0]
        res = dict(rooms=n, media_ok=ok, machine_busy_pct=round(busy, 1), janus_cpu_pct=round(cpu, 1), janus_cpu_pct_per_call=round(cpu / n, 2),
                   recv_fps_per_page_min=round(min(fps), 1), recv_fps_per_page_avg=round(sum(fps) / len(fps), 1),
                   loadavg1=load)
        results[n] = res
        say(f"   {n} rooms ({2 * n} pages, render={render}): media_ok={ok}  Janus CPU {cpu:.1f} % of one core  = {cpu / n:.2f} %/call; "
            f"received video fps per page avg {res['recv_fps_per_page_avg']} min {res['recv_fps_per_page_min']}; "
            f"machine CPU busy {busy:.0f} % (2 cores), loadavg {load:.2f}")
        for room, secret in rooms:
            api.data({"request": "destroy", "room": room, "secret": secret})
        pages.close()
        time.sleep(2)
    return results


def summarize_events(sink, t0):
    say("\n== 6. event handler (sample evh -> HTTP POST) ==")
    evs = sink.since(t0)
    say(f"   {len(evs)} events in {sink.posts} POSTs")
    names = {1: "session", 2: "handle", 4: "external", 8: "jsep", 16: "webrtc", 32: "media",
             64: "plugin", 128: "transport", 256: "core"}
    counts, examples = {}, {}
    for e in evs:
        t = e.get("type")
        ev = e.get("event", {})
        if t == 64:
            sub = ev.get("data", {}).get("event") or ev.get("data", {}).get("videoroom") or "?"
        elif t == 16:
            sub = ev.get("connection") or ("ice:" + ev["ice"] if "ice" in ev else None) or \
                  ("dtls:" + ev["dtls"] if "dtls" in ev else None) or \
                  next((k for k in ("selected-pair", "local-candidate", "remote-candidate") if k in ev), "?")
        elif t == 32:
            if isinstance(ev, list):
                sub = "combined-stats"
            else:
                sub = ev.get("media", "?") + (":receiving" if "receiving" in ev else ":stats")
        elif t in (1, 2):
            sub = ev.get("name", "?")
        elif t == 128:
            sub = ev.get("data", {}).get("event", "?") + (" (admin)" if ev.get("data", {}).get("admin_api") else "")
        elif t == 8:
            sub = ev.get("owner", "?")
        else:
            sub = ev.get("name") or ev.get("status") or "?"
        key = f"{t}:{names.get(t, t)}:{sub}"
        counts[key] = counts.get(key, 0) + 1
        examples.setdefault(key, e)
    for k in sorted(counts, key=lambda k: (int(k.split(':')[0]), k)):
        say(f"   {counts[k]:>5}  {k}")
    (RUN / "events.json").write_text(json.dumps([e for e in evs], indent=1))
    (RUN / "event_examples.json").write_text(json.dumps(examples, indent=1))
    return counts


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-capacity", action="store_true")
    ap.add_argument("--skip-expiry", action="store_true")
    ap.add_argument("--skip-recording", action="store_true")
    ap.add_argument("--capacity", default="2,4", help="comma separated room counts")
    ap.add_argument("--quick", action="store_true", help="= --skip-capacity --skip-expiry")
    ap.add_argument("--skip-call", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.skip_capacity = args.skip_expiry = True
    if os.geteuid() != 0:
        sys.exit("run as root (ip netns)")
    for tool in ("janus", "janus-pp-rec", "ip"):
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: apt-get install -y janus janus-tools iproute2")
    if not (ROOT / "node_modules/janus-gateway/npm/src/janus.js").exists():
        sys.exit(f"missing janus.js: cd {ROOT} && npm install")
    from playwright.sync_api import sync_playwright

    if RUN.exists():
        shutil.rmtree(RUN)
    RUN.mkdir()
    results = {}
    janus = sink = web = None
    stack = []
    subprocess.run(["sh", str(ROOT / "netns.sh"), "down"], capture_output=True)   # leftovers of an aborted run
    netns("up")
    stack.append(lambda: netns("down"))

    def on_signal(sig, frm):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sink = EventSink()
        stack.append(sink.stop)
        web = start_web()
        stack.append(lambda: (web.shutdown(), web.server_close()))
        say(f"janus {subprocess.run(['dpkg-query', '-W', '-f', '${Version}', 'janus'], capture_output=True, text=True).stdout}"
            f", netns {NS} {NS_IF}={NS_IP}, host side {HOST_IP}; pages from http://{WEB_HOST}:{WEB_PORT}")

        step_stored_tokens(sink)
        conf = RUN / "conf"
        render_configs(conf, signed=True)
        janus = Janus(conf, RUN / "janus.log")
        stack.append(janus.stop)
        say(f"\nJanus pid {janus.pid}, local-ip {janus.info.get('local-ip')}, session-timeout {janus.info.get('session-timeout')}")
        t_evh = now_ms()
        step_signed_tokens()
        api = JanusAPI(core_token(24 * 3600))   # the Django side's own long-lived session
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            try:
                if not args.skip_call:
                    results["call"] = step_call(browser, api, sink)
                if not args.skip_recording:
                    results["recording"] = step_recording(browser, api)
                if not args.skip_expiry:
                    results["expiry"] = step_expiry(browser, api)
                if not args.skip_capacity:
                    results["capacity"] = step_capacity(browser, api, janus,
                                                        tuple(int(x) for x in args.capacity.split(",")))
            finally:
                browser.close()
        api.close()
        time.sleep(1)
        results["events"] = summarize_events(sink, t_evh)
        (RUN / "api_examples.json").write_text(json.dumps(API_EXAMPLES, indent=1))
        (RUN / "results.json").write_text(json.dumps(results, indent=1, default=str))
        say(f"\nresults: {RUN / 'results.json'}, API examples: {RUN / 'api_examples.json'}, events: {RUN / 'events.json'}")
    finally:
        say("\n== teardown ==")
        for fn in reversed(stack):
            try:
                fn()
            except Exception as e:   # keep tearing down
                say(f"   teardown step failed: {e}")
        left = subprocess.run(["pgrep", "-x", "janus"], capture_output=True, text=True).stdout.split()
        say(f"   janus processes left: {left or 'none'}; netns: "
            f"{subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout.strip() or 'none'}")


if __name__ == "__main__":
    main()
