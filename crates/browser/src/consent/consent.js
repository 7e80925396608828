// cookie-audit: finds a consent banner and its buttons, and reads a consent platform's state.
// Evaluated with Runtime.evaluate when the engine looks at a page; defines one object,
// `globalThis.__cookieAuditConsent`, and changes nothing else. Every function returns plain
// JSON-able data and never throws into the page.
(() => {
  "use strict";
  if (globalThis.__cookieAuditConsent) return;

  // Every place a banner can be: the document, open shadow roots and same-origin frames, each
  // with a selector for the element that hosts it (`within`). Bounded: a page with a million
  // elements is read up to the cap.
  const MAX_ELEMENTS = 200000;
  const roots = () => {
    const out = [];
    const seen = new Set();
    let budget = MAX_ELEMENTS;
    const walk = (root, within, frameOffset) => {
      if (!root || seen.has(root)) return;
      seen.add(root);
      out.push({ root, within, frameOffset });
      let all;
      try { all = root.querySelectorAll("*"); } catch (e) { return; }
      for (const el of all) {
        if (--budget <= 0) return;
        if (el.shadowRoot) walk(el.shadowRoot, describe(el), frameOffset);
        const tag = el.tagName;
        if (tag === "IFRAME" || tag === "FRAME") {
          let doc = null;
          try { doc = el.contentDocument; } catch (e) { doc = null; }
          if (doc) {
            const r = el.getBoundingClientRect();
            walk(doc, describe(el), { x: frameOffset.x + r.left, y: frameOffset.y + r.top, frame: el });
          }
        }
      }
    };
    walk(document, null, { x: 0, y: 0, frame: null });
    return out;
  };

  // A short CSS selector for an element: its id, else tag and classes, with :nth-of-type.
  const describe = (el) => {
    if (!el || !el.tagName) return "";
    const esc = (s) => (globalThis.CSS && CSS.escape ? CSS.escape(s) : s);
    if (el.id) return "#" + esc(el.id);
    let sel = el.tagName.toLowerCase();
    const classes = Array.from(el.classList || []).slice(0, 3);
    if (classes.length) sel += "." + classes.map(esc).join(".");
    const parent = el.parentElement;
    if (parent) {
      const same = Array.from(parent.children).filter((c) => c.tagName === el.tagName);
      if (same.length > 1) sel += `:nth-of-type(${same.indexOf(el) + 1})`;
    }
    return sel;
  };

  // Shown to a visitor: laid out, not hidden, not transparent — and its frame too.
  const visible = (el, frame) => {
    try {
      if (!el.isConnected) return false;
      if (el.checkVisibility) {
        if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
      } else {
        const s = getComputedStyle(el);
        if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return false;
      }
      const r = el.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) return false;
      return !frame || visible(frame, null);
    } catch (e) {
      return false;
    }
  };

  const text = (el) => {
    const t = (el.innerText || el.value || el.getAttribute("aria-label") || el.title || "")
      .replace(/\s+/g, " ").trim();
    return t.slice(0, 200);
  };

  // The first visible element any selector finds, anywhere.
  const find = (selectors) => {
    for (const sel of selectors || []) {
      for (const { root, within, frameOffset } of roots()) {
        let found;
        try { found = root.querySelectorAll(sel); } catch (e) { continue; }
        for (const el of found) {
          if (visible(el, frameOffset.frame)) return { el, sel, within, frameOffset };
        }
      }
    }
    return null;
  };
  const exists = (selectors) => (selectors || []).some((sel) => roots().some(({ root }) => {
    try { return root.querySelector(sel) !== null; } catch (e) { return false; }
  }));
  const button = (hit) => hit && { text: text(hit.el), selector: hit.sel, within: hit.within };

  // A window object by dotted path: the page's, else a same-origin frame's (a banner in an
  // iframe keeps its platform there).
  const globalIn = (win, path) => {
    let v = win;
    for (const part of path.split(".")) {
      try { v = v[part]; } catch (e) { return undefined; }
      if (v === undefined || v === null) return v;
    }
    return v;
  };
  const global = (path) => {
    const own = globalIn(globalThis, path);
    if (own !== undefined && own !== null) return own;
    for (const doc of documents()) {
      const win = doc.defaultView;
      if (!win || win === globalThis) continue;
      const found = globalIn(win, path);
      if (found !== undefined && found !== null) return found;
    }
    return undefined;
  };
  const scripts = () => Array.from(document.scripts).map((s) => s.src).filter(Boolean);

  // Helpers the rules' state and list expressions use.
  // Every same-origin document: a banner in an iframe writes cookies its own path may scope.
  const documents = () => {
    const docs = [];
    for (const { root } of roots()) {
      const doc = root.nodeType === 9 ? root : null;
      if (doc && !docs.includes(doc)) docs.push(doc);
    }
    return docs;
  };
  const cookie = (name) => {
    for (const doc of documents()) {
      const found = cookieIn(doc, name);
      if (found !== null) return found;
    }
    return null;
  };
  // Every cookie name the page or its same-origin frames can see (a platform that lets sites
  // rename its cookie is found by what the cookie holds).
  const cookieNames = () => {
    const names = [];
    for (const doc of documents()) {
      let jar = "";
      try { jar = doc.cookie; } catch (e) { continue; }
      for (const part of jar.split(/;\s*/)) {
        const eq = part.indexOf("=");
        const name = eq < 0 ? part : part.slice(0, eq);
        if (name && !names.includes(name)) names.push(name);
      }
    }
    return names;
  };
  const cookieIn = (doc, name) => {
    let jar = "";
    try { jar = doc.cookie; } catch (e) { return null; }
    for (const part of jar.split(/;\s*/)) {
      const eq = part.indexOf("=");
      if ((eq < 0 ? part : part.slice(0, eq)) === name) {
        const raw = eq < 0 ? "" : part.slice(eq + 1);
        try { return decodeURIComponent(raw); } catch (e) { return raw; }
      }
    }
    return null;
  };
  const json = (s) => { try { return s == null ? null : JSON.parse(s); } catch (e) { return null; } };
  const storage = (key) => { try { return localStorage.getItem(key); } catch (e) { return null; } };
  // Calls a method by dotted path with its object as `this`, wherever `global` finds it.
  const call = (path, ...args) => {
    const dot = path.lastIndexOf(".");
    const owner = dot < 0 ? globalThis : global(path.slice(0, dot));
    const method = owner && owner[path.slice(dot + 1)];
    return typeof method === "function" ? method.apply(owner, args) : undefined;
  };
  const helpers = { cookie, cookieNames, json, storage, global, call, find: (s) => find(s) !== null, exists };

  // Runs a rule's expression with the helpers in scope as `ca`.
  const run = (expression) => {
    try {
      return { value: Function("ca", `"use strict"; return (${expression});`)(helpers) };
    } catch (e) {
      return { error: String(e && e.message || e) };
    }
  };

  const detects = (rule) => {
    const d = rule.detect || {};
    const src = scripts();
    if ((d.scripts || []).some((part) => src.some((s) => s.includes(part)))) return true;
    if ((d.globals || []).some((g) => global(g) !== undefined && global(g) !== null)) return true;
    return exists(d.selectors);
  };

  // Words of buttons, for banners no rule knows (the list is in docs/consent.md).
  // English, and Welsh (Welsh public bodies offer their banners in both).
  const WORDS = {
    accept: /^(accept|allow|agree|i agree|i accept|ok|okay|got it|yes|consent|enable|derbyn|cytuno|iawn)\b|\b(accept|allow) (all|all cookies|cookies|additional cookies|optional cookies|analytics cookies|recommended)\b|\bderbyn (pob|y|cwcis|cwci)\b/i,
    reject: /\b(reject|decline|deny|refuse|disagree|opt out|gwrthod)\b|^no,? thanks?\b|\b(only|just) (necessary|essential|required|strictly necessary)\b|\b(necessary|essential|required) (cookies )?only\b|\bdo ?n[o']t (accept|allow)\b|^continue without|\bcwcis hanfodol yn unig\b/i,
    settings: /\b(settings|preferences|customi[sz]e|manage|options|let me choose|choose cookies|more choices|gosodiadau|rheoli|dewisiadau)\b/i,
    notButton: /\b(policy|privacy notice|read more|learn more|find out more|more information|polisi|darllen mwy|rhagor o wybodaeth)\b/i,
    save: /\b(save|confirm|submit|cadw)\b|\b(accept|allow) (selected|selection|my (choices|selection))\b/i,
    acceptAll: /\b(accept|allow) all\b|\bderbyn pob\b/i,
  };
  const CONTAINER = /cookie|consent|gdpr|privacy|tracking|cwci|caniat/i;
  const CLICKABLE = "button, a, [role=button], input[type=button], input[type=submit]";

  const overlayish = (el) => {
    try {
      const s = getComputedStyle(el);
      const role = (el.getAttribute("role") || "").toLowerCase();
      return s.position === "fixed" || s.position === "sticky" || role === "dialog" ||
        role === "alertdialog" || role === "region" || el.tagName === "DIALOG" ||
        CONTAINER.test(el.id + " " + el.className + " " + (el.getAttribute("aria-label") || ""));
    } catch (e) { return false; }
  };

  // The smallest visible container that talks about cookies and holds an accept button.
  const heuristic = () => {
    let best = null;
    for (const { root, within, frameOffset } of roots()) {
      let clickables;
      try { clickables = root.querySelectorAll(CLICKABLE); } catch (e) { continue; }
      for (const el of clickables) {
        const words = text(el);
        if (!words || words.length > 60 || WORDS.notButton.test(words)) continue;
        if (!WORDS.accept.test(words) || WORDS.reject.test(words)) continue;
        if (!visible(el, frameOffset.frame)) continue;
        for (let c = el.parentElement; c; c = c.parentElement) {
          if (!CONTAINER.test(c.innerText || "") || !overlayish(c)) continue;
          const size = (c.innerText || "").length;
          if (!best || size < best.size) best = { container: c, accept: el, within, frameOffset, size };
          break;
        }
      }
    }
    if (!best) return null;
    const pick = (pattern, avoid) => {
      for (const el of best.container.querySelectorAll(CLICKABLE)) {
        const words = text(el);
        if (!words || words.length > 60 || WORDS.notButton.test(words)) continue;
        if (pattern.test(words) && !(avoid && avoid.test(words)) && visible(el, best.frameOffset.frame)) {
          return { el, sel: describeIn(el, best.container), within: best.within, frameOffset: best.frameOffset };
        }
      }
      return null;
    };
    return {
      container: describe(best.container),
      accept: { el: best.accept, sel: describeIn(best.accept, best.container), within: best.within, frameOffset: best.frameOffset },
      reject: pick(WORDS.reject, null),
      settings: pick(WORDS.settings, WORDS.reject),
      save: pick(WORDS.save, WORDS.acceptAll),
    };
  };
  const describeIn = (el, container) => `${describe(container)} ${describe(el)}`;

  // What the page shows now, given the rules: the platform, whether it asks, and its buttons.
  const survey = (rules) => {
    let rule = null;
    for (const r of rules) {
      if (detects(r)) { rule = r; break; }
    }
    if (rule) {
      const b = rule.buttons || {};
      const shown = find((rule.banner || {}).shown);
      const state = rule.state && rule.state.script ? run(rule.state.script) : { value: null };
      const buttons = [b.accept, b.reject, b.settings].some((sels) => find(sels) !== null);
      // A rule can recognise markup it does not own (an `id="cookie-notice"` of a site's own
      // banner): when none of its buttons is there and it holds no choice, a banner that the
      // words find is the one a visitor sees.
      if (!buttons && (state.value === null || state.value === undefined)) {
        const byWords = heuristicSurvey();
        if (byWords.shown) return byWords;
      }
      let accept = button(find(b.accept));
      let reject = button(find(b.reject));
      let settings = button(find(b.settings));
      // One element can be either (vanilla-cookieconsent 2's second button is "reject" or
      // "settings" as the site sets it up): its words decide.
      if (reject && WORDS.settings.test(reject.text) && !WORDS.reject.test(reject.text)) {
        settings = settings || reject;
        reject = null;
      }
      // A site that styles the platform's banner its own way (other button markup): the words
      // find what the rule's selectors miss, and the rule still reads the choice.
      if (shown !== null && (!accept || !reject)) {
        const h = heuristic();
        if (h) {
          accept = accept || button(h.accept);
          reject = reject || button(h.reject);
          settings = settings || button(h.settings);
        }
      }
      return {
        cmp: rule.id,
        detected_by: "rule",
        shown: shown !== null,
        accept,
        reject,
        settings,
        settings_reject: button(find(b.settings_reject)),
        settings_save: button(find(b.settings_save)),
        state: state.value === undefined ? null : state.value,
        state_error: state.error || null,
      };
    }
    return heuristicSurvey();
  };

  const heuristicSurvey = () => {
    const h = heuristic();
    return {
      cmp: h ? "heuristic" : null,
      detected_by: h ? "heuristic" : null,
      shown: h !== null,
      accept: h && button(h.accept),
      reject: h && button(h.reject),
      settings: h && button(h.settings),
      settings_reject: null,
      settings_save: h && button(h.save),
      container: h ? h.container : null,
      state: null,
      state_error: null,
    };
  };

  // Where to click a button: the centre of its box in the top-level viewport (frames add their
  // offset), and whether that point really hits it (nothing covers it).
  const target = (selector, within) => {
    for (const { root, within: w, frameOffset } of roots()) {
      if ((w || null) !== (within || null)) continue;
      let el;
      try { el = root.querySelector(selector); } catch (e) { continue; }
      if (!el || !visible(el, frameOffset.frame)) continue;
      try { el.scrollIntoView({ block: "center", inline: "center" }); } catch (e) { /* old API */ }
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      let hit = false;
      try {
        const doc = el.ownerDocument;
        let at = (el.getRootNode && el.getRootNode().elementFromPoint)
          ? el.getRootNode().elementFromPoint(x, y) : doc.elementFromPoint(x, y);
        hit = !!at && (at === el || el.contains(at) || at.contains(el));
      } catch (e) { hit = false; }
      return { x: x + frameOffset.x, y: y + frameOffset.y, hit, frame: frameOffset.frame !== null };
    }
    return null;
  };

  // The fallback when a real mouse click cannot reach it: the element's own click().
  const click = (selector, within) => {
    for (const { root, within: w } of roots()) {
      if ((w || null) !== (within || null)) continue;
      let el;
      try { el = root.querySelector(selector); } catch (e) { continue; }
      if (!el) continue;
      try { el.click(); return true; } catch (e) { return String(e && e.message || e); }
    }
    return false;
  };

  // Before "Save": every optional category off, as a visitor who refuses leaves them. The
  // switches are those near the button (the smallest ancestor holding any); disabled ones are
  // the necessary categories. Clicked, not set, so the page's own handlers see it.
  const untick = (selector, within) => {
    for (const { root, within: w } of roots()) {
      if ((w || null) !== (within || null)) continue;
      let el;
      try { el = root.querySelector(selector); } catch (e) { continue; }
      if (!el) continue;
      const SWITCH = "input[type=checkbox], [role=switch], [role=checkbox]";
      let box = el.parentElement;
      const body = el.ownerDocument.body;
      while (box && box !== body && !box.querySelector(SWITCH)) box = box.parentElement;
      if (!box || box === body) return 0;
      let n = 0;
      for (const sw of box.querySelectorAll(SWITCH)) {
        const on = sw.tagName === "INPUT" ? sw.checked : sw.getAttribute("aria-checked") === "true";
        const off = sw.disabled || sw.getAttribute("aria-disabled") === "true" || sw.readOnly;
        if (!on || off) continue;
        try { sw.click(); n += 1; } catch (e) { /* left as it is */ }
      }
      return n;
    }
    return 0;
  };

  Object.defineProperty(globalThis, "__cookieAuditConsent", {
    value: Object.freeze({ survey, target, click, untick, run, page: () => ({ url: location.href, ready: document.readyState, origin: performance.timeOrigin }) }),
  });
})();
