/* Listening to a live phone call: the media relay (rtpengine) offers a copy of both sides
 * of the call for WebRTC; this page answers it receive-only, and plays the prisoner's side
 * and the called person's side in their own players. Nothing is ever sent into the call.
 * window.WG_LISTEN holds the state the browser tests read.
 */
'use strict';

(function () {
  const root = document.getElementById('listen');
  if (!root) return;
  const statusLine = document.getElementById('listen-status');
  const startButton = document.getElementById('listen-start');
  const stopButton = document.getElementById('listen-stop');
  const players = [document.getElementById('listen-prisoner'), document.getElementById('listen-called')];
  const state = window.WG_LISTEN = { state: 'idle', errors: [], listening: null };
  let peer = null;

  function show(button, shown) {
    button.classList.toggle('govuk-!-display-none', !shown);
  }
  function say(text, status) {
    statusLine.textContent = text;
    if (status) state.state = status;
  }
  function fail(text) {
    state.errors.push(String(text));
    say(String(text), 'error');
    close();
    show(startButton, true);
    show(stopButton, false);
  }
  function close() {
    if (peer) peer.close();
    peer = null;
    players.forEach((player) => { player.srcObject = null; });
  }
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      headers: { 'X-CSRFToken': root.dataset.csrf },
      credentials: 'same-origin',
      body: body || new URLSearchParams(),
    }).then((response) => response.json().then((answer) => {
      if (!response.ok) throw new Error(answer.error || 'Wicketgate refused (' + response.status + ')');
      return answer;
    }));
  }
  function forListening(url) {
    return url.replace(/\/0\/(answer|stop)$/, '/' + state.listening + '/$1');
  }
  /* The whole answer at once: the media relay takes no candidates after it. */
  function gathered(connection) {
    return new Promise((resolve) => {
      if (connection.iceGatheringState === 'complete') return resolve();
      connection.addEventListener('icegatheringstatechange', () => {
        if (connection.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 3000);
    });
  }

  function start() {
    show(startButton, false);
    say('Connecting…', 'connecting');
    post(root.dataset.offerUrl)
      .then((offer) => {
        state.listening = offer.listening;
        peer = state.peer = new RTCPeerConnection({ iceServers: [] });
        /* The offer's first audio is the prisoner's side, its second the called person's. */
        peer.addEventListener('track', (event) => {
          const player = players[peer.getTransceivers().indexOf(event.transceiver)];
          if (!player) return;
          player.srcObject = new MediaStream([event.track]);
          player.play().catch(() => {});
        });
        peer.addEventListener('connectionstatechange', () => {
          state.connection = peer && peer.connectionState;
          if (state.connection === 'connected') say('Listening.', 'listening');
          if (state.connection === 'failed') fail('The call’s audio could not reach this browser.');
        });
        return peer.setRemoteDescription({ type: 'offer', sdp: offer.sdp })
          .then(() => peer.createAnswer())
          .then((answer) => peer.setLocalDescription(answer))
          .then(() => gathered(peer))
          .then(() => post(forListening(root.dataset.answerUrl),
            new URLSearchParams({ sdp: peer.localDescription.sdp })));
      })
      .then(() => {
        show(stopButton, true);
        if (state.state !== 'listening') say('Waiting for the call’s audio…', 'answered');
      })
      .catch((error) => fail(error.message || error));
  }

  function stop() {
    show(stopButton, false);
    close();
    post(forListening(root.dataset.stopUrl))
      .then(() => { say('Not listening.', 'stopped'); show(startButton, true); })
      .catch((error) => fail(error.message || error));
  }

  startButton.addEventListener('click', start);
  stopButton.addEventListener('click', stop);
  /* Leaving the page stops the listening too. */
  window.addEventListener('pagehide', () => {
    if (state.listening && state.state !== 'stopped') {
      const body = new FormData();
      body.append('csrfmiddlewaretoken', root.dataset.csrf);
      navigator.sendBeacon(forListening(root.dataset.stopUrl), body);
    }
  });
}());
