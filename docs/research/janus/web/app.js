/* Wicketgate Janus prototype page logic (janus.js 1.x API, Janus 1.1 multistream VideoRoom). */
'use strict';

const P = new URLSearchParams(location.search);
const server = P.get('server');
const room = parseInt(P.get('room'), 10);
const role = P.get('role') || 'pub';
const display = P.get('display') || role;
const token = P.get('token') || null;      // core token (every Janus API request)
const roomToken = P.get('rtoken') || null; // VideoRoom signed room token ("room=<id>" descriptor)
const pin = P.get('pin') || null;
const capW = parseInt(P.get('w') || '320', 10), capH = parseInt(P.get('h') || '240', 10);
const expect = parseInt(P.get('expect') || '2', 10);
const statsEvery = parseInt(P.get('statsms') || '200', 10);
const render = P.get('render') !== '0';   // render=0: no <video> sinks (capacity runs: less browser CPU)

const W = window.W = {
  role, display, room, state: 'init', events: [], errors: [],
  sessionId: null, pubHandleId: null, myId: null, privateId: null,
  subs: {},          // key -> {handleId, feeds, pc, video:{framesDecoded,...}, audio:{...}, lastFrameTs, lastVideoInc}
  pubStats: null,
};
function log(type, data) {
  W.events.push({ t: Date.now(), type, data: data === undefined ? null : data });
}
function setState(s) { W.state = s; document.getElementById('status').textContent = s; log('state', s); }
function withAuth(body) {
  if (pin) body.pin = pin;
  if (roomToken) body.token = roomToken;
  return body;
}

let janus = null, pub = null;

Janus.init({
  debug: false,
  callback: () => {
    janus = new Janus({
      server, token,
      keepAlivePeriod: 10000,   // also the long poll keeps the session alive
      success: () => {
        W.sessionId = janus.getSessionId();
        setState('session');
        if (role === 'watch') startWatcher(); else startPublisher();
      },
      error: (e) => { W.errors.push(String(e)); log('session-error', String(e)); setState('session-error'); },
      destroyed: () => { log('session-destroyed'); },
    });
  },
});

function pluginCallbacks(tag, getHandle) {
  return {
    webrtcState: (on, reason) => log(tag + '-webrtc', { on, reason: reason || null }),
    iceState: (s) => log(tag + '-ice', s),
    mediaState: (medium, on, mid) => log(tag + '-media', { medium, on, mid }),
    slowLink: (uplink, lost, mid) => log(tag + '-slowlink', { uplink, lost, mid }),
    oncleanup: () => log(tag + '-cleanup'),
    ondetached: () => log(tag + '-detached'),
    error: (e) => { W.errors.push(tag + ': ' + e); log(tag + '-error', String(e)); },
  };
}

/* ---------------- publisher ---------------- */
function startPublisher() {
  janus.attach(Object.assign(pluginCallbacks('pub'), {
    plugin: 'janus.plugin.videoroom',
    opaqueId: 'wicketgate-' + display,
    success: (h) => {
      pub = h; W.pubHandleId = h.getId();
      h.send({
        message: withAuth({ request: 'join', ptype: 'publisher', room, display }),
        error: (e) => log('pub-join-error', String(e)),
      });
    },
    onmessage: (msg, jsep) => {
      log('pub-msg', msg);
      const ev = msg.videoroom;
      if (ev === 'joined') {
        W.myId = msg.id; W.privateId = msg.private_id;
        setState('joined');
        publishOwnFeed();
        (msg.publishers || []).forEach(p => subscribeTo(p.id, p.display));
      } else if (ev === 'event') {
        (msg.publishers || []).forEach(p => subscribeTo(p.id, p.display));
        if (msg.error) { W.errors.push('pub: ' + msg.error); setState('join-error'); }
        if (msg.leaving === 'ok') setState('left:' + (msg.reason || ''));
      } else if (ev === 'destroyed') {
        setState('room-destroyed');
      }
      if (jsep) pub.handleRemoteJsep({ jsep });
    },
    onlocaltrack: (track, on) => {
      if (!on || track.kind !== 'video' || !render) return;
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.playsInline = true;
      v.srcObject = new MediaStream([track]);
      document.getElementById('local').appendChild(v);
    },
    onremotetrack: () => {},
  }));
}

function publishOwnFeed() {
  pub.createOffer({
    tracks: [
      { type: 'audio', capture: true, recv: false },
      { type: 'video', capture: { width: capW, height: capH }, recv: false },
    ],
    success: (jsep) => {
      pub.send({ message: { request: 'configure', audio: true, video: true }, jsep });
      setState('publishing');
    },
    error: (e) => { W.errors.push('createOffer: ' + e); log('pub-offer-error', String(e)); },
  });
}

/* ---------------- subscribers ---------------- */
function subscribeTo(feedId, feedDisplay) {
  const key = 'feed' + feedId;
  if (W.subs[key]) return;
  createSubscriber(key, [{ feed: feedId }], feedDisplay);
}

function createSubscriber(key, streams, label) {
  const S = W.subs[key] = { key, label, feeds: streams.map(s => s.feed), handleId: null,
                            video: {}, audio: {}, lastVideoInc: null, pcState: null };
  let h = null;
  janus.attach(Object.assign(pluginCallbacks('sub:' + key), {
    plugin: 'janus.plugin.videoroom',
    opaqueId: 'wicketgate-' + display + '-sub',
    success: (handle) => {
      h = handle; S.handleId = h.getId(); S.h = h;
      const body = withAuth({ request: 'join', ptype: 'subscriber', room, streams });
      if (W.privateId) body.private_id = W.privateId;
      h.send({ message: body });
    },
    onmessage: (msg, jsep) => {
      log('sub:' + key + '-msg', msg);
      if (msg.error) W.errors.push('sub ' + key + ': ' + msg.error);
      if (jsep) {
        h.createAnswer({
          jsep,
          tracks: [{ type: 'data' }],   // recvonly for the offered audio/video
          success: (ans) => h.send({ message: { request: 'start', room }, jsep: ans }),
          error: (e) => { W.errors.push('createAnswer: ' + e); },
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      log('sub:' + key + '-track', { kind: track.kind, mid, on });
      if (!on) return;
      const pc0 = h.webrtcStuff && h.webrtcStuff.pc;
      if (!render) { if (pc0 && !S.pc) S.pc = pc0; return; }
      // a sink is attached so that Chromium decodes/renders the frames
      const el = document.createElement(track.kind === 'video' ? 'video' : 'audio');
      el.autoplay = true; el.muted = true; el.playsInline = true;
      el.srcObject = new MediaStream([track]);
      document.getElementById('remote').appendChild(el);
      const pc = h.webrtcStuff && h.webrtcStuff.pc;
      if (pc && !S.pc) {
        S.pc = pc; S.pcState = pc.connectionState;
        pc.addEventListener('connectionstatechange', () => {
          S.pcState = pc.connectionState; log('sub:' + key + '-pcstate', pc.connectionState);
        });
      }
    },
  }));
}

/* ---------------- staff watcher (subscribe only) ---------------- */
function startWatcher() {
  let h = null;
  janus.attach(Object.assign(pluginCallbacks('watchctl'), {
    plugin: 'janus.plugin.videoroom',
    opaqueId: 'wicketgate-staff-' + display,
    success: (handle) => {
      h = handle; W.pubHandleId = h.getId();
      const poll = () => {
        h.send({
          message: { request: 'listparticipants', room },
          success: (r) => {
            const pubs = (r.participants || []).filter(p => p.publisher);
            log('watch-list', r);
            if (pubs.length >= expect) {
              setState('watching');
              createSubscriber('all', pubs.map(p => ({ feed: p.id })), 'all');
            } else setTimeout(poll, 500);
          },
          error: (e) => { W.errors.push('list: ' + e); setTimeout(poll, 1000); },
        });
      };
      poll();
    },
    onmessage: (msg) => log('watchctl-msg', msg),
  }));
}

/* ---------------- stats sampler ---------------- */
async function sample() {
  const now = Date.now();
  for (const S of Object.values(W.subs)) {
    const pc = S.pc;
    if (!pc) continue;
    S.pcState = pc.connectionState;
    if (pc.connectionState === 'closed') continue;
    let rep;
    try { rep = await pc.getStats(); } catch (e) { continue; }
    const v = {}, a = {};
    let fd = 0, nvid = 0, bytes = 0, apk = 0;
    rep.forEach(r => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        nvid++; fd += r.framesDecoded || 0; bytes += r.bytesReceived || 0;
        v['mid' + r.mid] = { framesDecoded: r.framesDecoded || 0, fps: r.framesPerSecond || 0,
                            w: r.frameWidth || 0, h: r.frameHeight || 0 };
      } else if (r.kind === 'audio') {
        apk += r.packetsReceived || 0;
        a['mid' + r.mid] = { packetsReceived: r.packetsReceived || 0, samples: r.totalSamplesReceived || 0 };
      }
    });
    if (S.framesDecoded !== undefined && fd > S.framesDecoded) S.lastVideoInc = now;
    if (S.audioPackets !== undefined && apk > S.audioPackets) S.lastAudioInc = now;
    S.framesDecoded = fd; S.videoBytes = bytes; S.audioPackets = apk; S.video = v; S.audio = a;
    S.sampledAt = now;
  }
  if (pub && pub.webrtcStuff && pub.webrtcStuff.pc) {
    try {
      const rep = await pub.webrtcStuff.pc.getStats();
      let fe = 0, pk = 0;
      rep.forEach(r => { if (r.type === 'outbound-rtp') { if (r.kind === 'video') fe += r.framesEncoded || 0; else pk += r.packetsSent || 0; } });
      W.pubStats = { framesEncoded: fe, audioPacketsSent: pk, pcState: pub.webrtcStuff.pc.connectionState, at: now };
    } catch (e) { /* closed */ }
  }
  setTimeout(sample, statsEvery);
}
setTimeout(sample, statsEvery);

/* summary for prototype.py (no handles / PCs, JSON-safe) */
window.W_summary = function (sinceIdx) {
  const subs = {};
  for (const [k, S] of Object.entries(W.subs)) {
    subs[k] = { label: S.label, feeds: S.feeds, handleId: S.handleId, pcState: S.pcState,
                framesDecoded: S.framesDecoded || 0, audioPackets: S.audioPackets || 0,
                lastVideoInc: S.lastVideoInc, lastAudioInc: S.lastAudioInc || null, video: S.video };
  }
  return { role: W.role, display: W.display, state: W.state, sessionId: W.sessionId,
           pubHandleId: W.pubHandleId, myId: W.myId, errors: W.errors, pubStats: W.pubStats,
           subs, events: W.events.slice(sinceIdx || 0), nevents: W.events.length };
};
