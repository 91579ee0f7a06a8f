// riskhub-web's page (docs/web.md): sign-in, a township's warnings by village
// and household with new ones as they come (server-sent events), the outcome
// of a home visit, and the bureau's view. Text goes in with textContent only.
"use strict";

const STATES = {
  // the words of common/rh_verify.c (rh_verify_state_label): one word a state everywhere
  PUSHED: "待核实", RECEIVED: "已接收", VERIFYING: "核实中", UNREACHABLE: "无法联系", DISMISSED: "不纳入",
  ALREADY_MONITORED: "已是监测对象", PROPOSED: "拟纳入监测", INCLUDED: "已纳入监测",
  ASSISTING: "帮扶中", RISK_ELIMINATED: "风险已消除", WITHDRAWN: "已撤回",
};
// open: no outcome from the household yet (common/rh_verify.c, rh_verify_state_open)
const OPEN = new Set(["PUSHED", "RECEIVED", "VERIFYING", "UNREACHABLE"]);
const RISKS = {
  ILLNESS: "因病", DISABILITY: "因残", EDUCATION: "因学", DISASTER: "因灾",
  EMPLOYMENT: "就业", INDUSTRY_FAILURE: "产业失败", DRINKING_WATER: "饮水安全",
  ACCIDENT: "意外事故", HOUSING: "住房安全", LOW_INCOME: "低收入",
};
const LISTS = { on_time: "按时", late: "逾期", missing: "未报送", not_due: "未到期" };

const $ = (id) => document.getElementById(id);
let me = null, townshipShown = "", stream = null, known = new Set();

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function call(method, url, body) {
  const opt = { method, headers: { "X-Riskhub": "1" }, credentials: "same-origin" };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(url, opt);
  let data = {};
  try { data = await r.json(); } catch (e) { /* not JSON */ }
  return { status: r.status, data };
}

function show(id) {
  for (const s of ["signin", "township", "bureau"]) $(s).hidden = s !== id;
  $("signout").hidden = id === "signin";
}

async function start() {
  const r = await call("GET", "/api/me");
  if (r.status !== 200) { me = null; show("signin"); $("who").textContent = ""; return; }
  me = r.data;
  $("who").textContent = (me.township_name || me.county + " 乡村振兴局") + " · " + (me.display || me.user);
  if (me.township) { await openTownship(me.township); } else { await openBureau(); }
  if (!stream) listen();
}

async function openTownship(code) {
  townshipShown = code;
  const q = me.township ? "" : "?township=" + encodeURIComponent(code);
  $("csv").href = "/api/warnings.csv" + q;
  $("xlsx").href = "/api/warnings.xlsx" + q;
  show("township");
  await loadWarnings(false);
}

async function loadWarnings(announce) {
  const q = me.township ? "" : "?township=" + encodeURIComponent(townshipShown);
  const r = await call("GET", "/api/warnings" + q);
  if (r.status === 401) return start();
  if (r.status !== 200) { $("notice").textContent = r.data.error || "暂时无法读取预警"; return; }
  const ws = r.data.warnings;
  const fresh = ws.filter((w) => !known.has(w.alert_id));
  if (announce && fresh.length) $("notice").textContent = "收到 " + fresh.length + " 条新预警";
  known = new Set(ws.map((w) => w.alert_id));
  const open = ws.filter((w) => OPEN.has(w.state)).length;
  $("count").textContent = r.data.name + "：预警 " + ws.length + " 条，待核实 " + open + " 条";
  const villages = new Map();
  for (const w of ws) {
    if (!villages.has(w.village)) villages.set(w.village, new Map());
    const hh = villages.get(w.village);
    if (!hh.has(w.household_id)) hh.set(w.household_id, []);
    hh.get(w.household_id).push(w);
  }
  const box = $("villages");
  box.replaceChildren();
  for (const [v, hh] of [...villages].sort()) {
    const vd = el("div", undefined, "village");
    vd.append(el("h3", "村 " + v + "（" + hh.size + " 户）"));
    for (const [h, list] of hh) {
      const hd = el("div", undefined, "household");
      hd.dataset.household = h;
      hd.append(el("h4", "户 " + h));
      const t = el("table");
      const tb = el("tbody");
      for (const w of list) {
        const tr = el("tr", undefined, w.overdue ? "overdue" : "");
        tr.dataset.alert = w.alert_id;
        tr.append(el("td", w.period), el("td", RISKS[w.risk] || w.risk), el("td", w.rule_id),
          el("td", STATES[w.state] || w.state, "state"),
          el("td", w.visit_due ? "入户期限 " + w.visit_due + (w.overdue ? "（已超期）" : "") : ""),
          el("td", w.note));
        const td = el("td");
        if (me.township && OPEN.has(w.state)) {
          const b = el("button", "登记核实", "record");
          b.addEventListener("click", () => openVisit(w));
          td.append(b);
        }
        tr.append(td);
        tb.append(tr);
      }
      t.append(tb);
      hd.append(t);
      vd.append(hd);
    }
    box.append(vd);
  }
}

let visiting = null;
function openVisit(w) {
  visiting = w;
  $("visit-what").textContent = "户 " + w.household_id + " · " + w.period + " · " + (RISKS[w.risk] || w.risk);
  $("visited-on").value = today();
  $("note").value = "";
  $("visit-error").textContent = "";
  // 排除预警: one of the county's configured reasons (the ledger keeps its code)
  const reason = $("reason");
  if (!reason.options.length) {
    for (const x of me.reasons || []) reason.append(new Option(x.label, x.code));
  }
  reasonShown();
  $("visit").showModal();
}
function reasonShown() { $("reason-row").hidden = $("outcome").value !== "DISMISSED"; }
$("outcome").addEventListener("change", reasonShown);

$("visit-cancel").addEventListener("click", () => $("visit").close());
$("visit-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {
    alert_id: visiting.alert_id, outcome: $("outcome").value,
    note: $("note").value, visited_on: $("visited-on").value,
  };
  if (body.outcome === "DISMISSED") body.reason = $("reason").value;
  const r = await call("POST", "/api/outcome", body);
  if (r.status !== 200) { $("visit-error").textContent = r.data.error || "保存失败"; return; }
  $("visit").close();
  // published: the ledger moves the warning, and the page hears of it (events)
  $("notice").textContent = "已提交：户 " + visiting.household_id + "（台账登记后状态更新）";
  await loadWarnings(false);
});

async function openBureau() {
  show("bureau");
  if (!$("period").value) {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1);
    $("period").value = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0");
  }
  const pick = $("town-pick");
  if (!pick.options.length) {
    pick.append(new Option("（全县汇总）", ""));
    for (const t of me.townships) pick.append(new Option(t.name, t.code));
  }
  const r = await call("GET", "/api/summary?period=" + encodeURIComponent($("period").value));
  if (r.status !== 200) return;
  const chart = $("chart");
  chart.replaceChildren();
  const top = Math.max(1, ...r.data.months.map((m) => m.warnings));
  for (const m of r.data.months) {
    const col = el("div", undefined, "month");
    col.dataset.period = m.period;
    col.title = m.period + "：预警 " + m.warnings + "，已核实 " + m.verified;
    const w = el("div", undefined, "bar-w"), v = el("div", undefined, "bar-v");
    w.style.height = (100 * m.warnings / top) + "%";
    v.style.height = (100 * m.verified / top) + "%";
    col.append(w, v, el("span", m.period.slice(2), "label"));
    chart.append(col);
  }
  const lb = $("lists").tBodies[0];
  lb.replaceChildren();
  for (const l of r.data.lists) {
    const tr = el("tr");
    tr.append(el("td", l.department), el("td", l.feed), el("td", LISTS[l.state], "state-" + l.state),
      el("td", l.at), el("td", String(l.rows)));
    lb.append(tr);
  }
  const tb = $("towns").tBodies[0];
  tb.replaceChildren();
  for (const t of r.data.townships) {
    const open = [...OPEN].reduce((n, s) => n + (t.states[s] || 0), 0);
    // verified: an outcome given; a warning its department's corrected list withdrew is neither
    const verified = t.warnings - open - (t.states.WITHDRAWN || 0);
    const tr = el("tr", undefined, t.overdue ? "overdue" : "");
    const b = el("button", "查看");
    b.addEventListener("click", () => { pick.value = t.township; openTownship(t.township); });
    const td = el("td");
    td.append(b);
    tr.append(el("td", t.name), el("td", String(t.warnings)), el("td", String(open)),
      el("td", String(verified)), el("td", String(t.overdue)), td);
    tb.append(tr);
  }
}

$("period").addEventListener("change", openBureau);
$("town-pick").addEventListener("change", () => {
  const v = $("town-pick").value;
  if (v) openTownship(v); else openBureau();
});

let retryMs = 1000;
function refresh(announce) {
  if (!$("township").hidden) loadWarnings(announce);
  else if (!$("bureau").hidden) openBureau();
}

function listen() {
  if (stream) stream.close();
  stream = new EventSource("/api/events");
  stream.addEventListener("warnings", () => refresh(true));
  // (re)connected: what came while the stream was away is read again
  stream.onopen = () => { $("live").textContent = "实时更新"; retryMs = 1000; refresh(true); };
  stream.onerror = () => {
    $("live").textContent = "连接中断，正在重连…";
    // an answer other than a stream (503, or 401 once the session is gone)
    // closes it for good: start over, later and later
    if (stream.readyState === EventSource.CLOSED) {
      stream = null;
      setTimeout(() => { if (me) start(); }, retryMs);
      retryMs = Math.min(retryMs * 2, 60000);
    }
  };
}

function today() { // the local date (Beijing), not UTC's
  const d = new Date();
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
    String(d.getDate()).padStart(2, "0");
}

$("signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  $("signin-button").disabled = true;
  const r = await call("POST", "/api/signin", { user: $("user").value, password: $("password").value });
  $("signin-button").disabled = false;
  $("password").value = "";
  if (r.status !== 200) { $("signin-error").textContent = r.data.error || "登录失败"; return; }
  start();
});

$("signout").addEventListener("click", async () => {
  await call("POST", "/api/signout");
  if (stream) stream.close();
  stream = null;
  me = null;
  known = new Set();
  start();
});

start();
