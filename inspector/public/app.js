// HMS-A2A inspector page: plain ES module, no build step. Everything shown arrives redacted from
// the server; only the audited reveal returns a payload as stored.
const MAX_RECORDS = 5000; // bounded: the oldest records go first
const ROW_H = 22;
const api = (p) => new URL(`api/${p}`, location.href.replace(/[#?].*$/, "").replace(/\/?$/, "/")).toString();
const $ = (s) => document.querySelector(s);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};

const state = {
  token: "",
  me: null,
  records: [],
  selected: null,
  feed: null,
  agentsSrc: null,
  pending: false,
  agents: new Map(),
};

function setStatus(s) {
  $("#status").textContent = s;
}
const headers = () => ({ authorization: `Bearer ${state.token}` });

function connect() {
  state.token = $("#token").value.trim();
  sessionStorage.setItem("hms-inspector-token", state.token);
  fetch(api("me"), { headers: headers() })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status}`))))
    .then((me) => {
      state.me = me;
      $("#me").textContent = `${me.subject} (${me.roles.join(", ")}) · tenant ${me.tenant}`;
      openAgents();
      openFeed();
    })
    .catch((e) => setStatus(`not authorized (${e.message})`));
}

function query(extra = {}) {
  const f = new FormData($("#filters"));
  const q = new URLSearchParams({ access_token: state.token });
  for (const k of ["agent", "task", "trace", "patient", "method", "event", "since"])
    if (f.get(k)) q.set(k, String(f.get(k)));
  if (f.get("heartbeats")) q.set("heartbeats", "true");
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return q;
}

function openFeed() {
  state.feed?.close();
  state.records = [];
  schedule();
  const src = new EventSource(`${api("feed")}?${query()}`);
  state.feed = src;
  setStatus("connecting…");
  src.addEventListener("record", (e) => push(JSON.parse(e.data)));
  src.addEventListener("live", (e) => setStatus(`live (replayed ${JSON.parse(e.data).replayed})`));
  src.addEventListener("dropped", (e) => setStatus(`live (skipped ${JSON.parse(e.data).count} inspection events)`));
  src.onerror = () => setStatus("reconnecting…");
}

async function replayWindow() {
  state.feed?.close();
  setStatus("replaying…");
  const f = new FormData($("#filters"));
  const r = await fetch(
    `${api("replay")}?${query({ from: String(f.get("from") || "10m"), to: String(f.get("to") || "") })}`,
    { headers: headers() },
  );
  const body = await r.json();
  if (!r.ok) return setStatus(`replay failed: ${body.error}`);
  state.records = [];
  for (const rec of body.records) push(rec);
  setStatus(`replay: ${body.records.length} records (live paused; press Live to resume)`);
}

function push(r) {
  state.records.push(r);
  if (state.records.length > MAX_RECORDS) state.records.splice(0, state.records.length - MAX_RECORDS);
  schedule();
}

// Rendering is batched per animation frame and draws only the visible rows (virtualised list).
function schedule() {
  if (state.pending) return;
  state.pending = true;
  requestAnimationFrame(render);
}

function render() {
  state.pending = false;
  const feed = $("#feed");
  const atBottom = feed.scrollTop + feed.clientHeight >= feed.scrollHeight - ROW_H * 2;
  $("#spacer").style.height = `${state.records.length * ROW_H}px`;
  if (atBottom) feed.scrollTop = feed.scrollHeight;
  const first = Math.max(0, Math.floor(feed.scrollTop / ROW_H) - 5);
  const last = Math.min(state.records.length, first + Math.ceil(feed.clientHeight / ROW_H) + 10);
  const rows = $("#rows");
  rows.style.transform = `translateY(${first * ROW_H}px)`;
  rows.replaceChildren(...state.records.slice(first, last).map(row));
  $("#count").textContent = `(${state.records.length}${state.records.length >= MAX_RECORDS ? ", oldest dropped" : ""})`;
}

function row(r) {
  const cls =
    /FAILED|REJECTED|CANCELED/.test(r.state ?? "") || r.ok === false ? "bad" : r.state === "COMPLETED" ? "good" : "";
  const e = el(
    "div",
    {
      class: `row${state.selected?.id === r.id ? " selected" : ""}`,
      "data-id": r.id,
      "data-task": r.taskId ?? "",
      "data-event": r.event,
    },
    el("span", {}, r.at.slice(11, 23)),
    el("span", {}, `${r.from} → ${r.to}`),
    el("span", { class: `k-${r.kind}` }, r.event),
    el("span", {}, r.method ?? ""),
    el("span", {}, (r.taskId ?? "").slice(0, 8)),
    el("span", { class: cls }, r.patient ? `${r.patient} · ${r.summary}` : r.summary),
  );
  e.addEventListener("click", () => select(r));
  return e;
}

function select(r) {
  state.selected = r;
  $("#detail").textContent = JSON.stringify(r, null, 2);
  $("#reveal").hidden = !(state.me?.canReveal && r.revealable);
  schedule();
  if (r.taskId) void conversation(r.taskId);
}

async function reveal() {
  const r = state.selected;
  if (!r) return;
  const reason = window.prompt("Reason for revealing this payload (recorded in the audit):");
  if (!reason) return;
  const res = await fetch(api("reveal"), {
    method: "POST",
    headers: { ...headers(), "content-type": "application/json" },
    body: JSON.stringify({ id: r.id, reason }),
  });
  const body = await res.json();
  $("#detail").textContent = res.ok
    ? `REVEALED (audited)\n${JSON.stringify(body, null, 2)}`
    : `reveal refused: ${body.error}`;
}

async function conversation(taskId) {
  const res = await fetch(api(`conversation/${encodeURIComponent(taskId)}`), { headers: headers() });
  const c = await res.json();
  if (!res.ok) return void ($("#conversation").textContent = c.error);
  $("#conv-title").textContent =
    `task ${taskId.slice(0, 8)} · trace ${(c.traceId ?? "").slice(0, 8)}${c.patient ? ` · ${c.patient}` : ""}`;
  $("#conversation").replaceChildren(diagram(c));
}

// Sequence diagram: one lifeline per participant; request arrows, status notes, reply arrows with latency.
function diagram(c) {
  const NS = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const colW = 150,
    top = 30,
    step = 20;
  const x = (p) => 70 + c.participants.indexOf(p) * colW;
  const steps = [];
  const byTask = new Map(c.tasks.map((t) => [t.taskId, t]));
  for (const r of c.records) {
    if (r.kind !== "task") continue;
    const t = byTask.get(r.taskId);
    if (!t) continue;
    if (r.event === "task.created")
      steps.push({ kind: "call", from: t.caller, to: t.agentId, label: `${t.skill ?? "?"}` });
    else if (r.event === "task.artifact")
      steps.push({ kind: "note", at: t.agentId, label: `artifact ${r.payload?.name ?? ""}` });
    else if (["COMPLETED", "FAILED", "REJECTED", "CANCELED"].includes(r.state))
      steps.push({ kind: "reply", from: t.agentId, to: t.caller, label: `${r.state} ${t.ms ?? r.ms ?? ""}ms` });
    else steps.push({ kind: "note", at: t.agentId, label: r.state ?? r.event });
  }
  const h = top + 20 + steps.length * step;
  const svg = s("svg", { width: 70 + c.participants.length * colW, height: h, class: "sequence" });
  svg.append(s("defs", {}));
  svg.firstChild.append(
    Object.assign(
      s("marker", {
        id: "arrow",
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 6,
        markerHeight: 6,
        orient: "auto",
      }),
      {},
    ),
  );
  svg.firstChild.firstChild.append(s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#333" }));
  c.participants.forEach((p) => {
    svg.append(s("text", { x: x(p), y: 14, "text-anchor": "middle", class: "participant", "font-weight": "bold" }, p));
    svg.append(s("line", { x1: x(p), y1: 20, x2: x(p), y2: h, stroke: "#bbb", "stroke-dasharray": "3 3" }));
  });
  steps.forEach((st, i) => {
    const y = top + 10 + i * step;
    if (st.kind === "note") {
      svg.append(s("text", { x: x(st.at) + 4, y, class: "note", fill: "#666" }, st.label));
      return;
    }
    const x1 = x(st.from),
      x2 = x(st.to);
    svg.append(
      s("line", {
        x1,
        y1: y,
        x2,
        y2: y,
        stroke: st.kind === "reply" ? "#0b7a75" : "#2456b8",
        "stroke-dasharray": st.kind === "reply" ? "4 2" : "",
        "marker-end": "url(#arrow)",
        class: `hop ${st.kind}`,
        "data-from": st.from,
        "data-to": st.to,
      }),
    );
    svg.append(s("text", { x: (x1 + x2) / 2, y: y - 3, "text-anchor": "middle", class: `label ${st.kind}` }, st.label));
  });
  return svg;
}

function openAgents() {
  state.agentsSrc?.close();
  const src = new EventSource(`${api("agents")}?access_token=${encodeURIComponent(state.token)}`);
  state.agentsSrc = src;
  src.addEventListener("agents", (e) => {
    state.agents = new Map(JSON.parse(e.data).map((a) => [a.agentId, a]));
    drawAgents();
  });
  src.addEventListener("agent", (e) => {
    const a = JSON.parse(e.data);
    state.agents.set(a.agentId, a);
    drawAgents();
  });
}

function drawAgents() {
  $("#agents").replaceChildren(
    ...[...state.agents.values()]
      .sort((a, b) => a.agentId.localeCompare(b.agentId))
      .map((a) =>
        el(
          "div",
          { class: "agent", "data-agent": a.agentId, title: a.description ?? "" },
          el("div", {}, el("b", {}, a.name ?? a.agentId), " ", el("span", { class: `health ${a.health}` }, a.health)),
          el("div", { class: "skills" }, `${a.agentId} v${a.version ?? "?"} · ${a.skills.join(", ")}`),
          el(
            "div",
            { class: "xstate" },
            a.xstate ? `xstate: ${a.xstate.state ?? "?"}${a.xstate.event ? ` ← ${a.xstate.event}` : ""}` : "xstate: —",
          ),
          el(
            "div",
            { class: "skills" },
            `${a.instances.length} instance(s), inflight ${a.instances.reduce((n, i) => n + (i.inflight ?? 0), 0)}`,
          ),
        ),
      ),
  );
}

$("#auth").addEventListener("submit", (e) => {
  e.preventDefault();
  connect();
});
$("#filters").addEventListener("submit", (e) => {
  e.preventDefault();
  if (state.token) openFeed();
});
$("#replay").addEventListener("click", () => void replayWindow());
$("#reveal").addEventListener("click", () => void reveal());
$("#feed").addEventListener("scroll", schedule, { passive: true });
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
const saved = fromHash ?? sessionStorage.getItem("hms-inspector-token");
if (fromHash) history.replaceState(null, "", location.pathname + location.search);
if (saved) {
  $("#token").value = saved;
  connect();
}
