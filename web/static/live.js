// The live meeting: poll the meeting's version about each second (any web node answers, no
// sticky sessions); when it moved, fetch the board again and announce what changed. The poll
// ticket (the last answer's ETag) goes with both, so an unchanged poll is answered 304 and the
// board after a change comes from the one rendering of that version every viewer shares. Forms post with
// fetch (X-Live: 1) and still work without this script. Drag a card onto another to group it.
(function () {
  "use strict";
  var root = document.getElementById("live-board");
  if (!root) { return; }
  var announce = document.getElementById("live-announce");
  var version = parseInt(root.dataset.version || "0", 10);
  var pending = null;
  var restoreTo = null; // the control of a form just posted (its focus was let go)
  var ownNews = ""; // what to say after one's own change, when nothing else is news
  var ticket = null; // the last poll's ETag: an unchanged meeting then answers 304
  var offline = false;
  // 0.75–1.25 s, drawn anew each time: a change reaches every view within 1.25 s plus one
  // fetch, and a meeting's 30 views (and 100 meetings' 3,000) do not poll in step, so the
  // first fetch of a new version renders it and the others find it kept.
  var POLL_MS = 750, JITTER_MS = 500;
  var csrf = (document.querySelector("input[name=csrf_token]") || {}).value || "";
  function nextPoll() { return POLL_MS + Math.floor(Math.random() * JITTER_MS); }

  function say(text) { if (announce && text) { announce.textContent = ""; announce.textContent = text; } }

  function editing() {
    var el = document.activeElement;
    return el && root.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== "submit";
  }

  function describe(before, after) {
    if (!before || !after) { return ""; }
    var b = before.dataset, a = after.dataset;
    if (a.voting !== b.voting) { return a.voting === "open" ? root.dataset.sayVotingOpen : root.dataset.sayVotingClosed; }
    var pb = before.querySelector("#live-prompt"), pa = after.querySelector("#live-prompt");
    if (pb && pa && pb.dataset.promptId !== pa.dataset.promptId) { return root.dataset.sayStep + " " + pa.textContent; }
    if (parseInt(a.cards, 10) > parseInt(b.cards, 10)) { return root.dataset.sayCard; }
    if (parseInt(a.actions, 10) > parseInt(b.actions, 10)) { return root.dataset.sayAction; }
    return "";
  }

  function closedWith(after) {
    var first = after && after.querySelector(".live-top li");
    return first ? " " + root.dataset.sayTop + " " + first.textContent : "";
  }

  // Where the keyboard was, to put it back after the board is replaced: the same control of
  // the same form (data-key names the operation and its card or action), else the cards'
  // heading, never the page's top.
  function focusPlace() {
    var el = document.activeElement;
    if (!el || !root.contains(el)) { return null; }
    var form = el.closest("form[data-key]");
    return {key: form ? form.dataset.key : null, name: el.name || null, tag: el.tagName, id: el.id};
  }

  function restoreFocus(place) {
    if (!place) { return; }
    var target = null;
    if (place.id) { target = document.getElementById(place.id); }
    if (!target && place.key) {
      var form = root.querySelector("form[data-key='" + place.key + "']");
      if (form) {
        target = (place.name && form.querySelector("[name='" + place.name + "']:not([type=hidden])"))
          || form.querySelector("button");
      }
    }
    if (!target || !root.contains(target)) { target = root.querySelector("#live-cards-heading"); }
    if (target) { target.focus(); }
  }

  function apply(html) {
    if (editing()) { pending = html; return; }
    pending = null;
    var before = root.querySelector(".live-board");
    var place = focusPlace() || restoreTo;
    restoreTo = null;
    root.innerHTML = html;
    // A board answered before Flask carries no CSRF token (it is the session's): the page's.
    root.querySelectorAll("input[name=csrf_token]").forEach(function (input) {
      if (!input.value) { input.value = csrf; }
    });
    var after = root.querySelector(".live-board");
    restoreFocus(place);
    if (after) { version = parseInt(after.dataset.version, 10); }
    var prompt = root.querySelector("#live-prompt");
    document.querySelectorAll("[data-current-prompt]").forEach(function (input) {
      if (prompt) { input.value = prompt.dataset.promptId; }
    });
    var news = describe(before, after);
    if (news && after && after.dataset.voting === "closed" && before && before.dataset.voting !== "closed") {
      news += closedWith(after);
    }
    if (!news && ownNews === "votes-left") {
      var left = root.querySelector(".live-votes-left");
      news = left ? left.textContent : "";
    }
    say(news);
    ownNews = "";
    tick();
  }

  // With the ticket after someone's change; without it after one's own (what the ticket says
  // of its holder, e.g. the votes left, is then renewed by the full path).
  function refresh(withTicket) {
    var headers = withTicket && ticket ? {"X-Live-Ticket": ticket} : {};
    return fetch(root.dataset.board, {credentials: "same-origin", cache: "no-store", headers: headers})
      .then(function (r) {
        if (!r.ok) { return null; }
        ticket = r.headers.get("ETag") || ticket;
        return r.text();
      })
      .then(function (html) { if (html !== null) { apply(html); } });
  }

  function poll() {
    var headers = ticket ? {"If-None-Match": ticket} : {};
    fetch(root.dataset.state, {credentials: "same-origin", cache: "no-store", headers: headers})
      .then(function (r) {
        if (r.status === 304) { offline = false; return null; }
        if (!r.ok) { throw new Error(r.status); }
        ticket = r.headers.get("ETag") || ticket;
        return r.json();
      })
      .then(function (state) {
        if (state === null) { return; }
        if (offline) { offline = false; }
        if (state.version !== version) { return refresh(true); }
      })
      .catch(function () { if (!offline) { offline = true; say(root.dataset.sayOffline); } })
      .then(function () { setTimeout(poll, nextPoll()); });
  }

  document.addEventListener("focusout", function () {
    setTimeout(function () { if (pending !== null && !editing()) { apply(pending); } }, 0);
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(true); } });

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
        return refresh(false).then(function () { return true; });
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-live")) { return; }
    event.preventDefault();
    restoreTo = focusPlace();
    if (document.activeElement && root.contains(document.activeElement)) { document.activeElement.blur(); }
    if (form.action.slice(-5) === "/vote") { ownNews = "votes-left"; }
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
  setTimeout(poll, nextPoll());
}());
