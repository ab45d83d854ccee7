// The live meeting: poll the meeting's version each second (any web node answers, no sticky
// sessions); when it moved, fetch the board again and announce what changed. Forms post with
// fetch (X-Live: 1) and still work without this script. Drag a card onto another to group it.
(function () {
  "use strict";
  var root = document.getElementById("live-board");
  if (!root) { return; }
  var announce = document.getElementById("live-announce");
  var version = parseInt(root.dataset.version || "0", 10);
  var pending = null;
  var offline = false;
  var POLL_MS = 1000;

  function say(text) { if (announce && text) { announce.textContent = ""; announce.textContent = text; } }

  function editing() {
    var el = document.activeElement;
    return el && root.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== "submit";
  }

  function describe(before, after) {
    if (!before || !after) { return ""; }
    var b = before.dataset, a = after.dataset;
    if (a.voting !== b.voting) { return a.voting === "open" ? root.dataset.sayVotingOpen : root.dataset.sayVotingClosed; }
    var pb = before.parentNode.querySelector("#live-prompt"), pa = after.parentNode.querySelector("#live-prompt");
    if (pb && pa && pb.dataset.promptId !== pa.dataset.promptId) { return root.dataset.sayStep + " " + pa.textContent; }
    if (parseInt(a.cards, 10) > parseInt(b.cards, 10)) { return root.dataset.sayCard; }
    return "";
  }

  function apply(html) {
    if (editing()) { pending = html; return; }
    pending = null;
    var before = root.querySelector(".live-board");
    root.innerHTML = html;
    var after = root.querySelector(".live-board");
    if (after) { version = parseInt(after.dataset.version, 10); }
    var prompt = root.querySelector("#live-prompt");
    document.querySelectorAll("[data-current-prompt]").forEach(function (input) {
      if (prompt) { input.value = prompt.dataset.promptId; }
    });
    say(describe(before, after));
    tick();
  }

  function refresh() {
    return fetch(root.dataset.board, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { apply(html); } });
  }

  function poll() {
    fetch(root.dataset.state, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (state) {
        if (offline) { offline = false; }
        if (state.version !== version) { return refresh(); }
      })
      .catch(function () { if (!offline) { offline = true; say(root.dataset.sayOffline); } })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  document.addEventListener("focusout", function () {
    setTimeout(function () { if (pending !== null && !editing()) { apply(pending); } }, 0);
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });

  function post(form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                               headers: {"X-Live": "1"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (!res.ok) {
          var errors = res.body.errors || {};
          say(Object.keys(errors).map(function (k) { return errors[k]; }).join(" "));
          return false;
        }
        return refresh().then(function () { return true; });
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-live")) { return; }
    event.preventDefault();
    if (document.activeElement && root.contains(document.activeElement)) { document.activeElement.blur(); }
    post(form).then(function (ok) {
      if (ok && form.classList.contains("live-thought")) { form.reset(); }
    });
  });

  // Grouping by dragging: the keyboard way is each card's "Gruppér med" form.
  var dragged = null;
  root.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".live-card");
    if (card) { dragged = card.dataset.cardId; e.dataTransfer.setData("text/plain", dragged); }
  });
  root.addEventListener("dragover", function (e) {
    if (dragged && e.target.closest(".live-card")) { e.preventDefault(); }
  });
  root.addEventListener("drop", function (e) {
    var target = e.target.closest(".live-card");
    if (!dragged || !target || target.dataset.cardId === dragged) { return; }
    e.preventDefault();
    var form = root.querySelector(".live-card[data-card-id='" + dragged + "'] form[action$='/merge']");
    if (form) { post(form, {into_id: target.dataset.cardId}); }
    dragged = null;
  });

  function tick() {
    root.querySelectorAll(".live-timer[data-ends]").forEach(function (el) {
      var left = Math.max(0, Math.round((Date.parse(el.dataset.ends) - Date.now()) / 1000));
      el.setAttribute("data-left", String(left));
      var m = Math.floor(left / 60), s = left % 60;
      var clock = el.querySelector(".live-clock");
      if (!clock) { clock = document.createElement("span"); clock.className = "live-clock"; el.appendChild(clock); }
      clock.textContent = " (" + m + ":" + (s < 10 ? "0" : "") + s + ")";
    });
  }
  setInterval(tick, 1000);
  tick();
  setTimeout(poll, POLL_MS);
}());
