// cookie-audit: reports every cookie a script writes, with the script that wrote it, every key
// it writes to localStorage or sessionStorage (setItem) likewise, and what the page still has to
// do (its pending timers, its storage writes) so the engine knows when it
// has settled. Injected with Page.addScriptToEvaluateOnNewDocument, so it runs in every frame
// before the page's own scripts. It changes nothing the page can observe except the identity of
// the functions it wraps.
(() => {
  "use strict";
  if (globalThis.__cookieAuditHooked) return;
  Object.defineProperty(globalThis, "__cookieAuditHooked", { value: true });
  const bindingName = "__cookieAuditWrite";
  const send = (payload) => {
    const binding = globalThis[bindingName];
    if (typeof binding === "function") {
      try { binding(JSON.stringify(payload)); } catch (e) { /* never break the page */ }
    }
  };
  // The first http(s) frame of the stack below this hook is the script that wrote the cookie.
  // Inline code reports the document's own URL; the engine treats that as "inline".
  const callerScript = () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 64;
    const stack = String(new Error().stack || "");
    Error.stackTraceLimit = limit;
    for (const line of stack.split("\n").slice(1)) {
      const m = line.match(/(https?:\/\/[^\s()]+?):\d+:\d+\)?\s*$/);
      if (m) return m[1];
    }
    return "";
  };
  // Longer lines cannot make a cookie (4096 bytes of name and value, 1024 per attribute), and a
  // script writing megabytes must not flood the DevTools connection.
  const MAX_LINE = 65536;
  const report = (doc, line) => {
    let documentUrl = "";
    try { documentUrl = (doc && doc.URL) || location.href; } catch (e) { documentUrl = location.href; }
    send({ line: String(line).slice(0, MAX_LINE), script: callerScript(), document: documentUrl });
  };
  const descriptor = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (descriptor && descriptor.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: descriptor.enumerable,
      get: descriptor.get,
      set: function (value) {
        report(this, value);
        return descriptor.set.call(this, value);
      },
    });
  }
  // The Cookie Store API writes cookies too; each call is reported in Set-Cookie syntax.
  if (globalThis.CookieStore && CookieStore.prototype.set) {
    const originalSet = CookieStore.prototype.set;
    CookieStore.prototype.set = function (nameOrOptions, value) {
      try {
        const o = typeof nameOrOptions === "object" && nameOrOptions !== null
          ? nameOrOptions : { name: nameOrOptions, value: value };
        let line = `${o.name}=${o.value}`;
        if (o.domain) line += `; Domain=${o.domain}`;
        line += `; Path=${o.path || "/"}`;
        if (o.expires) line += `; Expires=${new Date(o.expires).toUTCString()}`;
        line += `; SameSite=${o.sameSite || "strict"}`;
        if (o.partitioned) line += "; Partitioned";
        line += "; Secure";
        report(document, line);
      } catch (e) { /* never break the page */ }
      return originalSet.apply(this, arguments);
    };
  }
  watchActivity();

  // What the page still has to do, for the settle rule (crates/browser/src/settle.rs): when the
  // earliest of its pending timers is due, and whether it wrote to storage. Reported through a
  // second binding, batched and at most every REPORT_EVERY_MS, so a page that re-arms a timer in
  // a loop cannot flood the DevTools connection; the last state is always sent.
  function watchActivity() {
    const activityBinding = "__cookieAuditActivity";
    // Timers due further away than the engine ever waits (its cap after load) are not tracked.
    const HORIZON_MS = __COOKIE_AUDIT_HORIZON_MS__;
    const REPORT_EVERY_MS = 50;
    const schedule = globalThis.setTimeout;
    const frame = Math.random().toString(36).slice(2);
    const pending = new Map();
    let reported = undefined;
    let storageWritten = false;
    let flushQueued = false;
    let lastFlush = 0;
    const earliest = () => {
      let first = Infinity;
      for (const due of pending.values()) if (due < first) first = due;
      return first;
    };
    const flush = () => {
      flushQueued = false;
      lastFlush = performance.now();
      const first = earliest();
      // `due` names the timer (its due time on this frame's clock), `in_ms` says when it is due.
      const due = first === Infinity ? null : Math.round(first);
      if (due === reported && !storageWritten) return;
      reported = due;
      const timer = due === null ? null : { due: due, in_ms: Math.max(0, due - Math.round(lastFlush)) };
      const binding = globalThis[activityBinding];
      if (typeof binding === "function") {
        try {
          binding(JSON.stringify({ frame: frame, timer: timer, storage: storageWritten }));
        } catch (e) { /* never break the page */ }
      }
      storageWritten = false;
    };
    const changed = () => {
      if (flushQueued) return;
      flushQueued = true;
      schedule.call(globalThis, flush, Math.max(0, lastFlush + REPORT_EVERY_MS - performance.now()));
    };
    // The engine calls this when it believes the page settled: the state as of now, at once.
    Object.defineProperty(globalThis, "__cookieAuditFlush", { value: () => { reported = undefined; flush(); } });
    // An interval counts until its first run: later runs repeat what the first did.
    const wrapTimer = (name) => {
      const original = globalThis[name];
      if (typeof original !== "function") return;
      const wrapped = function (handler, delay) {
        const ms = Math.max(0, Number(delay) || 0);
        if (typeof handler !== "function" || ms > HORIZON_MS) return original.apply(this, arguments);
        const args = Array.prototype.slice.call(arguments);
        let id;
        args[0] = function () {
          if (pending.delete(id)) changed();
          return handler.apply(this, arguments);
        };
        id = original.apply(this, args);
        pending.set(id, performance.now() + ms);
        changed();
        return id;
      };
      Object.defineProperty(wrapped, "name", { value: name });
      globalThis[name] = wrapped;
    };
    wrapTimer("setTimeout");
    wrapTimer("setInterval");
    for (const name of ["clearTimeout", "clearInterval"]) {
      const original = globalThis[name];
      if (typeof original !== "function") continue;
      const wrapped = function (id) {
        if (pending.delete(id)) changed();
        return original.apply(this, arguments);
      };
      Object.defineProperty(wrapped, "name", { value: name });
      globalThis[name] = wrapped;
    }
    if (globalThis.Storage && Storage.prototype) {
      for (const name of ["setItem", "removeItem", "clear"]) {
        const original = Storage.prototype[name];
        if (typeof original !== "function") continue;
        Storage.prototype[name] = function () {
          storageWritten = true;
          changed();
          if (name === "setItem") reportStorage(this, arguments[0], arguments[1]);
          return original.apply(this, arguments);
        };
      }
    }
    // Which storage, whose origin, which script: the engine records the key like a cookie.
    // Reading localStorage can throw in an opaque origin; such a frame has no storage to report.
    function reportStorage(storage, key, value) {
      try {
        const binding = globalThis["__cookieAuditStorage"];
        if (typeof binding !== "function") return;
        const kind = storage === globalThis.localStorage ? "local"
          : storage === globalThis.sessionStorage ? "session" : "";
        if (!kind) return;
        binding(JSON.stringify({
          kind: kind,
          key: String(key).slice(0, 1024),
          value: String(value).slice(0, MAX_LINE),
          origin: location.origin,
          script: callerScript(),
          document: location.href,
        }));
      } catch (e) { /* never break the page */ }
    }
    // A frame going away leaves no timer behind.
    globalThis.addEventListener("pagehide", () => { pending.clear(); flush(); });
  }
})();
