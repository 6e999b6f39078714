// JS API instrumentation, injected by crawler/collectors/instrumentation.py into every frame before
// any page script (see docs/instrumentation.md). Placeholders: __CW_CONFIG__ (JSON).
//
// Design:
// - Calls are aggregated here, per (api, calling script): a count, the number of distinct
//   arguments (capped) and the first few distinct arguments. Only changes are sent, batched,
//   through a Playwright binding whose global is deleted at start (we keep the only reference).
// - Wrappers are Proxies around the originals: name, length and prototype chain are the native
//   function's; Function.prototype.toString answers for a wrapper as for its original.
// - Workers (dedicated, service) get the same script through CDP (CFG.worker): the binding is then
//   CDP's Runtime.addBinding (one string argument) and the wrappers that exist there apply
//   (OffscreenCanvas, WebGL, WorkerNavigator, audio is absent in workers).
// - Nothing is left on window. Python asks for a flush by dispatching an event whose type is
//   a per-visit secret; the answer comes back in the event's detail.
(function () {
  'use strict';
  const CFG = __CW_CONFIG__;
  const g = globalThis;
  const binding = g[CFG.binding];
  try { delete g[CFG.binding]; } catch (e) { /* ignore */ }
  if (typeof binding !== 'function') return;
  // In a worker the binding is CDP's Runtime.addBinding: one string argument.
  const stringify = JSON.stringify;
  const send = CFG.worker ? function (t, s, b) { return binding(stringify([t, s, b])); } : binding;

  // Intrinsics saved before any page script can replace them.
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const getDesc = Object.getOwnPropertyDescriptor;
  const define = Object.defineProperty;
  const ProxyCtor = Proxy;
  const ErrorCtor = Error;
  const setTimer = g.setTimeout;
  const now = () => (g.performance && performance.now ? performance.now() : 0);
  const originals = new WeakMap(); // wrapper -> original
  const wmGet = WeakMap.prototype.get;
  const wmSet = WeakMap.prototype.set;
  const URL_RE = /(https?:\/\/[^\s()'"]+?):\d+:\d+/;

  const token = Math.random().toString(36).slice(2) + now().toString(36);
  const entries = new Map();
  const dirty = [];
  const perApi = Object.create(null);
  const lastScript = Object.create(null);
  let seq = 0;
  let timer = 0;
  let busy = false;

  function callerScript() {
    let stack = '';
    let prep, limit;
    try {
      prep = ErrorCtor.prepareStackTrace;
      limit = ErrorCtor.stackTraceLimit;
      ErrorCtor.prepareStackTrace = undefined; // a page hook must not see our frames
      ErrorCtor.stackTraceLimit = 16;
      stack = String(new ErrorCtor().stack || '');
    } catch (e) { /* ignore */ } finally {
      try { ErrorCtor.prepareStackTrace = prep; ErrorCtor.stackTraceLimit = limit; } catch (e) { /* ignore */ }
    }
    const m = URL_RE.exec(stack); // our own frames have no URL: the first URL is the caller's
    return m ? m[1] : '';
  }

  function record(api, arg) {
    if (busy) return;
    busy = true;
    try {
      const n = (perApi[api] = (perApi[api] || 0) + 1);
      // Attribution is exact for the first calls of an API; beyond that the last caller is
      // reused, so a loop of a million calls costs a counter, not a million stack walks.
      const script = n <= CFG.stackedCalls || lastScript[api] === undefined ? callerScript() : lastScript[api];
      lastScript[api] = script;
      const key = api + '\n' + script;
      let e = entries.get(key);
      if (e === undefined) {
        if (entries.size >= CFG.maxKeys) return;
        e = { api: api, script: script, count: 0, sent: 0, seen: new Set(), fresh: [], t: now(), dirty: false };
        entries.set(key, e);
      }
      e.count++;
      if ((typeof arg === 'string' || typeof arg === 'number') && e.seen.size < CFG.maxDistinct) {
        const s = String(arg).slice(0, CFG.maxArgLength);
        if (!e.seen.has(s)) {
          e.seen.add(s);
          if (e.seen.size <= CFG.maxArgs) e.fresh.push(s);
        }
      }
      if (!e.dirty) { e.dirty = true; dirty.push(e); }
      if (!timer) timer = apply(setTimer, g, [flush, CFG.flushMs]);
    } catch (e) { /* never break the page */ } finally {
      busy = false;
    }
  }

  function flush() {
    timer = 0;
    if (!dirty.length) return seq;
    const batch = [];
    for (const e of dirty.splice(0)) {
      batch.push([e.api, e.script, e.count - e.sent, e.fresh.splice(0), e.seen.size, Math.round(e.t)]);
      e.sent = e.count;
      e.dirty = false;
    }
    seq += 1;
    try {
      const p = send(token, seq, batch);
      if (p && typeof p.catch === 'function') p.catch(function () {});
    } catch (e) { /* binding gone: the page is closing */ }
    return seq;
  }

  function hide(wrapper, original) {
    apply(wmSet, originals, [wrapper, original]);
    return wrapper;
  }

  function guarded(api, argOf) {
    return function (target, self, args) {
      if (!busy) {
        let arg;
        try { arg = argOf ? argOf(self, args) : undefined; } catch (e) { arg = undefined; }
        record(api, arg);
      }
      return apply(target, self, args);
    };
  }

  function wrapMethod(proto, name, api, argOf) {
    const d = proto && getDesc(proto, name);
    if (!d || typeof d.value !== 'function') return;
    const w = hide(new ProxyCtor(d.value, { apply: guarded(api, argOf) }), d.value);
    define(proto, name, { value: w, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
  }

  function wrapAccessor(proto, name, api, which, argOf) {
    const d = proto && getDesc(proto, name);
    if (!d || typeof d[which] !== 'function' || !d.configurable) return;
    const w = hide(new ProxyCtor(d[which], { apply: guarded(api, argOf) }), d[which]);
    const nd = { get: d.get, set: d.set, enumerable: d.enumerable, configurable: true };
    nd[which] = w;
    define(proto, name, nd);
  }

  function wrapConstructor(name, api, argOf) {
    const d = getDesc(g, name);
    if (!d || typeof d.value !== 'function') return;
    const orig = d.value;
    const handler = {
      construct(target, args, newTarget) {
        if (!busy) {
          let arg;
          try { arg = argOf ? argOf(args) : undefined; } catch (e) { arg = undefined; }
          record(api, arg);
        }
        return construct(target, args, newTarget === w ? target : newTarget);
      },
    };
    const w = hide(new ProxyCtor(orig, handler), orig);
    define(g, name, { value: w, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
    const pd = orig.prototype && getDesc(orig.prototype, 'constructor');
    if (pd && pd.configurable) define(orig.prototype, 'constructor', { value: w, writable: pd.writable, enumerable: pd.enumerable, configurable: true });
  }

  // Function.prototype.toString: a wrapper prints as its original (and so does toString itself).
  const fnToString = Function.prototype.toString;
  const toStringProxy = new ProxyCtor(fnToString, {
    apply(target, self, args) {
      const original = apply(wmGet, originals, [self]);
      return apply(target, original === undefined ? self : original, args);
    },
  });
  hide(toStringProxy, fnToString);
  define(Function.prototype, 'toString', { value: toStringProxy, writable: true, enumerable: false, configurable: true });

  const P = (ctor) => (typeof g[ctor] === 'function' ? g[ctor].prototype : undefined);
  const describe = (t) => {
    if (t === g) return 'window';
    if (t === g.document) return 'document';
    if (t && typeof t.tagName === 'string') {
      const type = typeof t.type === 'string' && t.type ? '[type=' + t.type + ']' : '';
      return t.tagName.toLowerCase() + type;
    }
    return t && t.constructor && typeof t.constructor.name === 'string' ? t.constructor.name : 'object';
  };
  const canvasSize = (c) => (c ? (c.width | 0) + 'x' + (c.height | 0) : '?');

  // ---------------------------------------------------------------- canvas
  const canvas = P('HTMLCanvasElement');
  wrapMethod(canvas, 'toDataURL', 'canvas.toDataURL', (c, a) => canvasSize(c) + ' ' + (a[0] || 'image/png'));
  wrapMethod(canvas, 'toBlob', 'canvas.toBlob', (c, a) => canvasSize(c) + ' ' + (a[1] || 'image/png'));
  wrapMethod(canvas, 'getContext', 'canvas.getContext', (c, a) => String(a[0]));
  const offscreen = P('OffscreenCanvas'); // pages and workers
  wrapMethod(offscreen, 'convertToBlob', 'canvas.convertToBlob',
    (c, a) => canvasSize(c) + ' ' + ((a[0] && a[0].type) || 'image/png'));
  wrapMethod(offscreen, 'getContext', 'canvas.getContext', (c, a) => String(a[0]));
  for (const c2d of [P('CanvasRenderingContext2D'), P('OffscreenCanvasRenderingContext2D')]) {
    wrapMethod(c2d, 'getImageData', 'canvas.getImageData',
      (ctx, a) => (a[2] | 0) + 'x' + (a[3] | 0) + ' of ' + canvasSize(ctx.canvas));
    wrapMethod(c2d, 'fillText', 'canvas.fillText', (ctx, a) => String(a[0]));
    wrapMethod(c2d, 'strokeText', 'canvas.strokeText', (ctx, a) => String(a[0]));
    wrapMethod(c2d, 'measureText', 'canvas.measureText', (ctx) => ctx.font);
    wrapMethod(c2d, 'save', 'canvas.save');
    wrapMethod(c2d, 'restore', 'canvas.restore');
    wrapMethod(c2d, 'isPointInPath', 'canvas.isPointInPath');
    wrapAccessor(c2d, 'fillStyle', 'canvas.fillStyle', 'set', (ctx, a) => (typeof a[0] === 'string' ? a[0] : 'gradient'));
    wrapAccessor(c2d, 'strokeStyle', 'canvas.strokeStyle', 'set', (ctx, a) => (typeof a[0] === 'string' ? a[0] : 'gradient'));
    wrapAccessor(c2d, 'font', 'canvas.font', 'set', (ctx, a) => String(a[0]));
  }

  // ---------------------------------------------------------------- WebGL
  for (const name of ['WebGLRenderingContext', 'WebGL2RenderingContext']) {
    const gl = P(name);
    wrapMethod(gl, 'getParameter', 'webgl.getParameter', (ctx, a) => String(a[0]));
    wrapMethod(gl, 'getExtension', 'webgl.getExtension', (ctx, a) => String(a[0]));
    wrapMethod(gl, 'getSupportedExtensions', 'webgl.getSupportedExtensions');
    wrapMethod(gl, 'getShaderPrecisionFormat', 'webgl.getShaderPrecisionFormat');
    wrapMethod(gl, 'readPixels', 'webgl.readPixels');
  }

  // ---------------------------------------------------------------- audio
  wrapConstructor('AudioContext', 'audio.AudioContext');
  wrapConstructor('OfflineAudioContext', 'audio.OfflineAudioContext');
  const bac = P('BaseAudioContext');
  wrapMethod(bac, 'createOscillator', 'audio.createOscillator');
  wrapMethod(bac, 'createDynamicsCompressor', 'audio.createDynamicsCompressor');
  wrapMethod(bac, 'createAnalyser', 'audio.createAnalyser');
  wrapMethod(P('OfflineAudioContext'), 'startRendering', 'audio.startRendering');
  wrapMethod(P('AudioBuffer'), 'getChannelData', 'audio.getChannelData');
  wrapMethod(P('AnalyserNode'), 'getFloatFrequencyData', 'audio.getFloatFrequencyData');

  // ---------------------------------------------------------------- navigator and screen
  const nav = P('Navigator') || P('WorkerNavigator');
  for (const name of ['plugins', 'mimeTypes', 'hardwareConcurrency', 'deviceMemory', 'languages', 'userAgentData',
                      'platform', 'maxTouchPoints', 'webdriver', 'connection', 'vendor']) {
    wrapAccessor(nav, name, 'navigator.' + name, 'get');
  }
  const scr = P('Screen');
  for (const name of ['width', 'height', 'availWidth', 'availHeight', 'colorDepth', 'pixelDepth']) {
    wrapAccessor(scr, name, 'screen.' + name, 'get');
  }

  // ---------------------------------------------------------------- WebRTC
  wrapConstructor('RTCPeerConnection', 'webrtc.RTCPeerConnection', (a) => {
    const servers = a[0] && a[0].iceServers;
    if (!servers || !servers.length) return 'no ice servers';
    return servers.map((s) => [].concat(s.urls || s.url || []).join(' ')).join(' ');
  });
  const rtc = P('RTCPeerConnection');
  wrapMethod(rtc, 'createDataChannel', 'webrtc.createDataChannel');
  wrapMethod(rtc, 'createOffer', 'webrtc.createOffer');
  wrapMethod(rtc, 'setLocalDescription', 'webrtc.setLocalDescription');
  wrapMethod(rtc, 'setRemoteDescription', 'webrtc.setRemoteDescription');
  wrapAccessor(rtc, 'onicecandidate', 'webrtc.onicecandidate', 'set');
  wrapAccessor(rtc, 'localDescription', 'webrtc.localDescription', 'get');

  // ---------------------------------------------------------------- storage and cookies
  wrapMethod(P('Storage'), 'setItem', 'storage.setItem',
    (s, a) => (s === g.localStorage ? 'local:' : 'session:') + String(a[0]));
  wrapAccessor(P('Document'), 'cookie', 'document.cookie.set', 'set', (d, a) => String(a[0]).split('=')[0].trim());

  // ---------------------------------------------------------------- listeners and DOM observers
  const LISTENED = new Set(CFG.listenedEvents);
  const et = P('EventTarget');
  const addListener = et && et.addEventListener;
  if (et && addListener) { // filtered: only the listeners that watch typing and pointer movement
    const filtered = hide(new ProxyCtor(addListener, {
      apply(target, self, args) {
        if (!busy && LISTENED.has(args[0])) record('listener.' + args[0], describe(self));
        return apply(target, self, args);
      },
    }), addListener);
    const d = getDesc(et, 'addEventListener');
    define(et, 'addEventListener', { value: filtered, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
  }
  for (const [proto, name] of [[P('HTMLElement'), 'oninput'], [P('HTMLElement'), 'onkeydown'], [P('HTMLElement'), 'onkeypress'],
                               [P('HTMLElement'), 'onchange'], [P('Document'), 'onmousemove'], [P('Document'), 'onscroll']]) {
    wrapAccessor(proto, name, 'listener.' + name.slice(2), 'set', (t) => describe(t));
  }
  wrapMethod(P('MutationObserver'), 'observe', 'dom.MutationObserver.observe',
    (o, a) => describe(a[0]) + (a[1] && a[1].subtree ? ' subtree' : ''));

  // ---------------------------------------------------------------- flush on request / on leave
  const onFlush = function (event) {
    const n = flush();
    try { if (event.detail) { event.detail.token = token; event.detail.seq = n; } } catch (e) { /* ignore */ }
  };
  if (addListener) {
    apply(addListener, g, [CFG.flushEvent, onFlush, true]);
    apply(addListener, g, ['pagehide', function () { flush(); }, true]);
  }
})();
