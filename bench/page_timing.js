// Timings taken inside the page, for bench.browser (added to every tab by new_tab()).
//
// What the clinician waits for is measured where it happens, on the page's own clock
// (performance.now(), milliseconds), not by the Python side of Playwright, whose clock also counts
// its own steps (finding an element, typing into a list, polling for websocket frames):
// - "input": a pointerdown or keydown (the clinician's click or key press);
// - "finished": the server's message that a script run ended (Streamlit's ForwardMsg field 6,
//   script_finished, any status but 2, "finished early for a rerun");
// - "painted": two animation frames after "finished", i.e. the browser has drawn what that run
//   sent;
// - "shown": two animation frames after an element watched with __medcoreWatch(testid, text)
//   first appears in the page.
(() => {
  const log = [];
  window.__medcoreTimings = log;
  const now = () => performance.now();
  const afterPaint = (callback) => requestAnimationFrame(() => requestAnimationFrame(callback));
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => log.push({event: "input", type, t: now()}), true);
  }

  // The script_finished status of one ForwardMsg (protobuf wire format, top level only).
  function finishedStatus(bytes) {
    let i = 0;
    const varint = () => {
      let value = 0, shift = 0, byte;
      do {
        byte = bytes[i++];
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      return value;
    };
    try {
      while (i < bytes.length) {
        const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
        if (wire === 0) { const value = varint(); if (field === 6) return value; }
        else if (wire === 2) { const length = varint(); i += length; }
        else if (wire === 1) i += 8;
        else if (wire === 5) i += 4;
        else return null;
      }
    } catch (error) { return null; }
    return null;
  }

  const FINISHED_EARLY_FOR_RERUN = 2;
  class TimedWebSocket extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (message) => {
        if (!(message.data instanceof ArrayBuffer)) return;
        const status = finishedStatus(new Uint8Array(message.data));
        if (status === null || status === FINISHED_EARLY_FOR_RERUN) return;
        log.push({event: "finished", status, t: now()});
        afterPaint(() => log.push({event: "painted", status, t: now()}));
      });
    }
  }
  window.WebSocket = TimedWebSocket;

  const watches = [];
  function check() {
    for (const watch of watches) {
      if (watch.done) continue;
      for (const element of document.querySelectorAll(`[data-testid="${watch.testid}"]`)) {
        if (element.textContent.includes(watch.text)) {
          watch.done = true;
          afterPaint(() => log.push({event: "shown", text: watch.text, t: now()}));
          break;
        }
      }
    }
  }
  window.__medcoreWatch = (testid, text) => { watches.push({testid, text, done: false}); check(); };
  new MutationObserver(check).observe(document, {childList: true, subtree: true,
                                                 characterData: true});
})();
