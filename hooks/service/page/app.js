// The approvals page: polls GET /v1/approvals with the approver's bearer token and posts decisions.
// Everything from the server is written with textContent (arguments come from tool calls an attacker may shape).
"use strict";
(function () {
  const POLL_MS = 1500;
  const store = window.sessionStorage;
  const $ = (id) => document.getElementById(id);
  let pending = [];
  let timer = null;

  function headers() {
    const h = { "Authorization": "Bearer " + store.getItem("hooks.token"), "Content-Type": "application/json" };
    const member = store.getItem("hooks.member");
    if (member) { h["X-Approver"] = member; }
    return h;
  }

  function status(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.className = isError ? "error" : "";
  }

  async function call(method, path, body) {
    const response = await fetch(path, { method, headers: headers(), body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", cache: "no-store" });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const message = data && data.message ? data.message : response.status + " " + response.statusText;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function timeLeft(expiresAt) {
    const seconds = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
    return { seconds, text: seconds >= 60 ? Math.floor(seconds / 60) + " min " + (seconds % 60) + " s" : seconds + " s" };
  }

  function newRow(item) {
    const tr = $("row").content.firstElementChild.cloneNode(true);
    tr.dataset.id = item.id;
    tr.dataset.tool = item.tool;
    tr.querySelector(".tool").textContent = item.tool;
    tr.querySelector(".args").textContent = JSON.stringify(item.toolInput, null, 2);
    tr.querySelector(".conversation").textContent = item.conversationId;
    tr.querySelector(".requester").textContent = item.requester;
    const risk = tr.querySelector(".risk");
    risk.textContent = item.risk;
    risk.classList.add(String(item.risk).replace(/[^a-z]/g, ""));
    tr.querySelector(".reason").textContent = item.reason;
    tr.querySelector(".left").dataset.expiresAt = item.expiresAt;
    tr.querySelector(".approve").addEventListener("click", () => decide(item.id, true, tr));
    tr.querySelector(".deny").addEventListener("click", () => decide(item.id, false, tr));
    return tr;
  }

  // Rows are kept by request id: a poll adds new requests and removes decided or expired ones, and leaves the
  // others (with a comment being typed) as they are.
  function render() {
    const rows = $("rows");
    const wanted = new Set(pending.map((item) => item.id));
    for (const tr of Array.from(rows.children)) {
      if (!wanted.has(tr.dataset.id)) { tr.remove(); }
    }
    const present = new Set(Array.from(rows.children, (tr) => tr.dataset.id));
    for (const item of pending) {
      if (!present.has(item.id)) { rows.appendChild(newRow(item)); }
    }
    $("empty").hidden = pending.length > 0;
    tick();
  }

  function tick() {
    for (const cell of document.querySelectorAll("td.left")) {
      const left = timeLeft(cell.dataset.expiresAt);
      cell.textContent = left.text;
      cell.classList.toggle("soon", left.seconds < 30);
    }
  }

  async function refresh() {
    try {
      const data = await call("GET", "/v1/approvals");
      pending = data.approvals;
      render();
      status(pending.length + " waiting · updated " + new Date().toLocaleTimeString(), false);
    } catch (error) {
      if (error.status === 401 || error.status === 403) { signOut("Sign-in refused: " + error.message); return; }
      status("Cannot reach the service: " + error.message, true);
    }
  }

  async function decide(id, approve, tr) {
    const comment = tr.querySelector(".comment").value.trim();
    if (!approve && !comment) { status("A denial needs a comment.", true); tr.querySelector(".comment").focus(); return; }
    const buttons = tr.querySelectorAll("button");
    for (const b of buttons) { b.disabled = true; }
    try {
      const decided = await call("POST", "/v1/approvals/" + encodeURIComponent(id) + (approve ? "/approve" : "/deny"),
        comment ? { comment } : {});
      status(decided.tool + ": " + decided.status + " by " + decided.decidedBy, false);
    } catch (error) {
      status("Not decided: " + error.message, true);
      for (const b of buttons) { b.disabled = false; }
    }
    await refresh();
  }

  function signOut(message) {
    store.removeItem("hooks.token");
    store.removeItem("hooks.member");
    if (timer) { clearInterval(timer); timer = null; }
    $("queue").hidden = true;
    $("who").hidden = true;
    $("signin").hidden = false;
    pending = [];
    $("rows").replaceChildren();
    if (message) { alertLine(message); }
  }

  function alertLine(message) {
    let p = document.querySelector("#signin .refused");
    if (!p) { p = document.createElement("p"); p.className = "refused note"; $("signin").appendChild(p); }
    p.textContent = message;
  }

  function start() {
    $("signin").hidden = true;
    $("queue").hidden = false;
    $("who").hidden = false;
    $("identity").textContent = store.getItem("hooks.member") ? "Signed in as " + store.getItem("hooks.member") : "Signed in";
    refresh();
    timer = setInterval(() => { refresh(); }, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin").addEventListener("submit", (event) => {
      event.preventDefault();
      store.setItem("hooks.token", $("token").value.trim());
      const member = $("member").value.trim();
      if (member) { store.setItem("hooks.member", member); } else { store.removeItem("hooks.member"); }
      $("token").value = "";
      start();
    });
    $("signout").addEventListener("click", () => signOut(""));
    setInterval(tick, 1000);
    if (store.getItem("hooks.token")) { start(); }
  });
})();
