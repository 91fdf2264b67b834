/* A Wicketgate video call page (janus.js 1.x, Janus 1.1 multistream VideoRoom).
 *
 * The page asks Wicketgate for its tokens (which it refuses outside the call's window or
 * for anyone no longer allowed), then joins the booking's room: "publish" sends camera and
 * microphone and receives everyone else; "watch" (staff) only receives, and is never seen,
 * since it never publishes. On a one-way call a caller's page sends its sound to the call's
 * room and its picture to the pictures room, which the prisoner's tokens cannot join (Janus
 * enforces it, not this page); staff and callers receive from both rooms.
 * window.WG_CALL holds the state the browser tests read.
 */
'use strict';

(function () {
  const root = document.getElementById('call');
  const statusLine = document.getElementById('call-status');
  const mode = root.dataset.mode;
  const state = window.WG_CALL = { mode, state: 'init', errors: [], subs: {}, published: false };
  let janus = null;
  let tokens = null;

  function say(text, status) {
    statusLine.textContent = text;
    if (status) state.state = status;
  }
  function fail(text) {
    state.errors.push(String(text));
    say(String(text), 'error');
  }
  /* Names the call and who this is in Janus's events, which Wicketgate records. */
  function opaque() {
    return 'wg-' + tokens.room + '-' + tokens.display;
  }
  /* The rooms this page may join, each with its own token. */
  function callRoom() {
    return { id: tokens.room, token: tokens.room_token, privateId: null };
  }
  function picturesRoom() {
    if (!tokens.pictures_room) return null;
    return { id: tokens.pictures_room, token: tokens.pictures_room_token, privateId: null };
  }

  fetch(root.dataset.tokensUrl, {
    method: 'POST',
    headers: { 'X-CSRFToken': root.dataset.csrf },
    credentials: 'same-origin',
  })
    .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
    .then(({ ok, body }) => {
      if (!ok) {
        fail(body.error || 'This call cannot be joined.');
        state.refused = body.error || true;
        return;
      }
      tokens = body;
      Janus.init({ debug: false, callback: connect });
    })
    .catch((error) => fail('Cannot reach Wicketgate: ' + error));

  function connect() {
    janus = new Janus({
      server: tokens.server,
      token: tokens.core_token,
      success: () => (mode === 'watch' ? watchAll() : publishAll()),
      error: (error) => fail('The call service is not available: ' + error),
      destroyed: () => say('The call has ended.', 'ended'),
    });
  }

  /* --- taking part ------------------------------------------------------------------ */

  function publishAll() {
    const pictures = picturesRoom();
    if (pictures) {
      publish(callRoom(), ['audio']);
      publish(pictures, ['video']);
    } else {
      publish(callRoom(), ['audio', 'video']);
    }
  }

  const TRACKS = {
    audio: { type: 'audio', capture: true, recv: false },
    video: { type: 'video', capture: { width: 320, height: 240 }, recv: false },
  };

  function publish(room, kinds) {
    let handle = null;
    janus.attach({
      plugin: 'janus.plugin.videoroom',
      opaqueId: opaque(),
      success: (h) => {
        handle = h;
        h.send({ message: { request: 'join', ptype: 'publisher', room: room.id, display: tokens.display, token: room.token } });
      },
      error: (error) => fail(error),
      onmessage: (message, jsep) => {
        const event = message.videoroom;
        if (event === 'joined') {
          room.privateId = message.private_id;
          say('You are on the call.', 'joined');
          handle.createOffer({
            tracks: kinds.map((kind) => TRACKS[kind]),
            success: (offer) => {
              handle.send({
                message: { request: 'configure', audio: kinds.includes('audio'), video: kinds.includes('video') },
                jsep: offer,
              });
              state.published = true;
            },
            error: (error) => fail('Camera or microphone: ' + error),
          });
          (message.publishers || []).forEach((p) => subscribe(room, feedStreams(p), p.display));
        } else if (event === 'event') {
          (message.publishers || []).forEach((p) => subscribe(room, feedStreams(p), p.display));
          if (message.error) fail(message.error);
          if (message.leaving === 'ok') say('You have left the call.', 'left');
        } else if (event === 'destroyed') {
          say('The call has ended.', 'ended');
        }
        if (jsep) handle.handleRemoteJsep({ jsep });
      },
      onlocaltrack: (track, on) => {
        if (!on || track.kind !== 'video') return;
        const video = document.createElement('video');
        video.muted = true; video.autoplay = true; video.playsInline = true;
        video.srcObject = new MediaStream([track]);
        document.getElementById('local').appendChild(video);
      },
      onremotetrack: () => {},
      oncleanup: () => say('The call has ended.', 'ended'),
    });
  }

  function watchAll() {
    [callRoom(), picturesRoom()].filter(Boolean).forEach(watch);
  }

  /* Everyone publishing in the room, those who come later too (a new subscription each). */
  function watch(room) {
    let handle = null;
    const seen = new Set();
    janus.attach({
      plugin: 'janus.plugin.videoroom',
      opaqueId: opaque(),
      success: (h) => {
        handle = h;
        const look = () => handle.send({
          message: { request: 'listparticipants', room: room.id },
          success: (reply) => {
            const fresh = (reply.participants || []).filter((p) => p.publisher && !seen.has(p.id));
            if (fresh.length > 0) {
              fresh.forEach((p) => seen.add(p.id));
              say('Watching.', 'watching');
              subscribe(room, fresh.map((p) => ({ feed: p.id })), 'all');
            }
            if (reply.error_code !== 426) setTimeout(look, seen.size > 0 ? 2000 : 500);
          },
          error: () => { if (state.state !== 'ended') setTimeout(look, 1000); },
        });
        look();
      },
      error: (error) => fail(error),
      onmessage: () => {},
    });
  }

  /* --- receiving ----------------------------------------------------------------------- */

  /* Everything a publisher sends, or on a one-way call (the prisoner's side) their sound only. */
  function feedStreams(publisher) {
    if (tokens.receive_video !== false) return [{ feed: publisher.id }];
    return (publisher.streams || [])
      .filter((s) => s.type === 'audio')
      .map((s) => ({ feed: publisher.id, mid: s.mid }));
  }

  function subscribe(room, streams, label) {
    if (streams.length === 0) return;
    const key = room.id + '-' + streams.map((s) => s.feed).join('-');
    if (state.subs[key]) return;
    const sub = state.subs[key] = { label, framesDecoded: 0, pc: null };
    let handle = null;
    janus.attach({
      plugin: 'janus.plugin.videoroom',
      opaqueId: opaque(),
      success: (h) => {
        handle = h;
        const body = { request: 'join', ptype: 'subscriber', room: room.id, streams, token: room.token };
        if (room.privateId) body.private_id = room.privateId;
        h.send({ message: body });
      },
      error: (error) => fail(error),
      onmessage: (message, jsep) => {
        if (message.error) fail(message.error);
        if (!jsep) return;
        handle.createAnswer({
          jsep,
          tracks: [{ type: 'data' }],
          success: (answer) => handle.send({ message: { request: 'start', room: room.id }, jsep: answer }),
          error: (error) => fail(error),
        });
      },
      onremotetrack: (track, mid, on) => {
        // janus.js reports a track again when the subscription is updated: one element a mid.
        const id = 'remote-' + key + '-' + mid;
        let element = document.getElementById(id);
        if (!on) {
          if (element) element.remove();
          return;
        }
        if (!element) {
          element = document.createElement(track.kind === 'video' ? 'video' : 'audio');
          element.id = id;
          element.autoplay = true; element.muted = track.kind === 'video'; element.playsInline = true;
          document.getElementById('remote').appendChild(element);
        }
        element.srcObject = new MediaStream([track]);
        sub.pc = handle.webrtcStuff && handle.webrtcStuff.pc;
      },
      oncleanup: () => { sub.closed = true; },
    });
  }

  /* Frames decoded from everyone else, for the page's tests and for staff to see. */
  async function sample() {
    for (const sub of Object.values(state.subs)) {
      if (!sub.pc || sub.pc.connectionState === 'closed') continue;
      try {
        const report = await sub.pc.getStats();
        const perStream = {};
        report.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') perStream[r.mid || r.id] = r.framesDecoded || 0;
        });
        sub.perStream = perStream;
        sub.framesDecoded = Object.values(perStream).reduce((n, f) => n + f, 0);
      } catch (error) { /* closed meanwhile */ }
    }
    const subs = Object.values(state.subs);
    state.framesDecoded = subs.reduce((n, s) => n + s.framesDecoded, 0);
    /* Frames decoded of each video received, so a test can tell one feed from two. */
    state.framesPerVideo = subs.flatMap((s) => Object.values(s.perStream || {}));
    setTimeout(sample, 250);
  }
  sample();
}());
