// cookie-audit: reports every cookie a script writes, with the script that wrote it.
// Injected with Page.addScriptToEvaluateOnNewDocument, so it runs in every frame before the
// page's own scripts. It changes nothing the page can observe except the setter's identity.
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
})();
