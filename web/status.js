// gatewayd status page: read-only /status WebSocket; a snapshot, then changed sections.
// Every value from the server goes into the page with textContent, never as HTML.
"use strict";

(function () {
  const TOKEN_KEY = "gatewayd-status-token";
  const state = { server: {}, clients: [], dns: [], calls: [], media: [], pools: [], errors: [] };
  let ws = null;
  let retry = 1000;
  let receivedAt = Date.now(); // durations tick locally between updates

  const $ = (id) => document.getElementById(id);

  // Create an element whose content is plain text.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      if (c instanceof Node) {
        const td = document.createElement("td");
        td.appendChild(c);
        tr.appendChild(td);
      } else {
        tr.appendChild(el("td", null, c));
      }
    }
    return tr;
  }

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? h + ":" + two(m) + ":" + two(sec) : m + ":" + two(sec);
  }

  function setConn(text, cls) {
    const c = $("conn");
    c.textContent = text;
    c.className = "pill " + cls;
  }

  function fillTable(id, rows) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren(...rows);
    $(id).hidden = rows.length === 0;
    $(id + "-empty").hidden = rows.length !== 0;
    $(id + "-count").textContent = "(" + rows.length + ")";
  }

  function tile(label, value, alert) {
    const t = el("div", "tile" + (alert ? " alert" : ""));
    t.appendChild(el("div", "v", value));
    t.appendChild(el("div", "k", label));
    return t;
  }

  function recordingBadge(call, elapsed) {
    const rec = call.recording;
    if (rec === "On") return el("span", "pill pill-ok", "On");
    if (rec === "Paused") {
      const b = el("span", "pill pill-wait",
                   "Paused " + duration((call.pausedFor || 0) + elapsed));
      b.title = "paused in total " + duration((call.pausedTotal || 0) + elapsed);
      return b;
    }
    if (rec === "Off") return el("span", "pill pill-off", "Off");
    return el("span", "muted", "not recorded");
  }

  function render() {
    const s = state.server;
    const elapsed = (Date.now() - receivedAt) / 1000;
    $("site").textContent = s.site ? "· " + s.site : "";
    $("version").textContent = s.version || "";
    $("uptime").textContent = s.uptime !== undefined ? "up " + duration(s.uptime + elapsed) : "";

    const desktops = state.clients.filter((c) => c.desktop).length;
    const recOn = state.calls.filter((c) => c.recording === "On").length;
    const recPaused = state.calls.filter((c) => c.recording === "Paused").length;
    $("tiles").replaceChildren(
      tile("Calls", state.calls.length),
      tile("Recording / paused", recOn + " / " + recPaused),
      tile("T-Lib clients", state.clients.length - desktops),
      tile("Desktops", desktops),
      tile("DNs registered", state.dns.length),
      tile("Events / s", s.eventsPerSecond !== undefined ? s.eventsPerSecond.toFixed(1) : "-"),
      tile("Queue drops", s.queueDrops || 0, s.queueDrops > 0),
      tile("Auth failures", s.authFailures || 0, s.authFailures > 0),
      tile("Warnings / errors", state.errors.length, state.errors.length > 0),
      ...(s.db ? [tile("DB " + s.db.state + ", backlog", s.db.backlog,
                       s.db.state !== "ready" || s.db.backlog > 1000)] : []));

    fillTable("calls", state.calls.map((c) => {
      const parties = el("span");
      for (const p of c.parties || []) {
        const span = el("span", "party");
        span.appendChild(el("span", "mono", p.dn));
        span.appendChild(el("span", "role", " " + p.role + ", " + p.state));
        parties.appendChild(span);
      }
      const conn = el("span", "mono", c.connId);
      conn.title = "CallUUID " + c.callUuid;
      return row([conn, c.callType, parties, duration(c.duration + elapsed),
                  recordingBadge(c, c.recording === "Paused" ? elapsed : 0)]);
    }));

    // SIP OPTIONS health of mediad and the recorder (gw_health.c).
    fillTable("media", state.media.map((m) => {
      const st = el("span", "pill " + (m.state === "In service" ? "pill-ok"
                                       : m.state === "Out of service" ? "pill-bad" : "pill-wait"),
                    m.state);
      if (m.misses) st.title = m.misses + " check(s) missed in a row";
      const name = el("span", null, m.name);
      name.title = m.kind;
      return row([name, el("span", "mono", m.address), st,
                  m.rttMs !== null && m.rttMs !== undefined ? m.rttMs.toFixed(1) + " ms" : "-",
                  m.recordings]);
    }));

    // Pools of mediad instances and recorders: one row per member (gw_pool.c, docs/pools.md).
    const members = [];
    for (const p of state.pools || []) {
      for (const m of p.members || []) members.push([p, m]);
    }
    fillTable("pools", members.map(([p, m]) => {
      const st = el("span", "pill " + (m.state === "In service" ? "pill-ok"
                                       : m.state === "Out of service" ? "pill-bad" : "pill-wait"),
                    m.state);
      const pool = el("span", null, p.name);
      pool.title = p.kind + ", " + p.scheme + (p.implicit ? " (implicit)" : "");
      const cap = m.portsCapacity === null || m.portsCapacity === undefined ? "" : " / " + m.portsCapacity;
      return row([pool, m.name, el("span", "mono", m.uri), m.geoLocation || "-", st,
                  m.portsInUse + cap, m.picks]);
    }));

    fillTable("clients", state.clients.map((c) => {
      const who = el("span", null, c.app || "(not registered)");
      if (c.desktop) who.appendChild(el("span", "pill pill-ok", "desktop"));
      if (c.detached) who.appendChild(el("span", "pill pill-wait", "disconnected"));
      const dns = (c.dns || []).join(", ") + (c.ndns > (c.dns || []).length ? ", …" : "");
      // "[::ffff:10.0.0.1]:5000" is an IPv4 peer on a dual-stack socket: show it as such.
      const peer = String(c.peer).replace(/^\[::ffff:([0-9.]+)\]/, "$1");
      return row([c.id, c.transport, who, el("span", "mono", peer), el("span", "mono", dns),
                  duration(c.since + elapsed), c.queued]);
    }));

    fillTable("dns", state.dns.map((d) => {
      const agent = d.agent ? d.agent.login + (d.agent.ready ? " (ready)" : " (not ready)") : "";
      return row([el("span", "mono", d.dn), d.type + (d.record ? ", record" : ""),
                  (d.clients || []).join(", "), agent]);
    }));

    const items = state.errors.map((e) => {
      const li = el("li");
      li.appendChild(el("span", "when", new Date(e.time).toLocaleTimeString()));
      li.appendChild(el("span", e.level === "error" ? "bad" : null,
                        e.level.toUpperCase() + " " + e.subsys + ": "));
      li.appendChild(document.createTextNode(e.text));
      return li;
    });
    $("errors").replaceChildren(...items);
    $("errors-empty").hidden = items.length !== 0;
    $("errors-count").textContent = "(" + items.length + ")";
  }

  function showLogin(msg) {
    $("login").hidden = false;
    $("main").hidden = true;
    $("login-msg").textContent = msg || "";
    $("token").focus();
  }

  function token() {
    // A link may carry #token=...: kept for this tab only, then taken out of the address.
    const m = /(?:^|[#&])token=([^&]*)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function connect() {
    const t = token();
    if (!t) {
      showLogin();
      return;
    }
    $("login").hidden = true;
    $("main").hidden = false;
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/status";
    ws = new WebSocket(url);
    setConn("connecting", "pill-wait");
    ws.onopen = () => ws.send(JSON.stringify({ message: "Authenticate", token: t }));
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      for (const k of Object.keys(state)) if (k in msg) state[k] = msg[k];
      receivedAt = Date.now();
      retry = 1000;
      setConn("live", "pill-ok");
      render();
    };
    ws.onclose = (ev) => {
      ws = null;
      if (ev.code === 4001 || ev.code === 4002) {
        sessionStorage.removeItem(TOKEN_KEY);
        setConn("not signed in", "pill-bad");
        showLogin(ev.code === 4001 ? "Token rejected." : "");
        return;
      }
      setConn("reconnecting", "pill-bad");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    connect();
  });
  // A new #token= link opened in this tab: start over with it.
  window.addEventListener("hashchange", () => {
    if (!/token=/.test(location.hash)) return;
    if (ws) ws.close();
    else connect();
  });
  setInterval(() => { if (ws) render(); }, 1000);
  connect();
})();
