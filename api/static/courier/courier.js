// The courier page. The day comes from GET /courier/me/day, and its last copy is kept in
// localStorage so that the page also opens offline. Every action (vehicle check, departure,
// stop event, batch of positions) goes into a queue in localStorage and is sent in order when
// there is network. Each action carries an id made when it was tapped, which the API
// deduplicates on, so resending after a lost answer or a reload never doubles it.
"use strict";

(() => {
  const body = document.body;
  // One store per account: a phone passed between couriers keeps their actions apart.
  const STORE = `sameday.courier.${body.dataset.username}.`;
  // The service worker's cache (sw.js); emptied on sign-out, the page in it is personal.
  const SHELL_CACHE = "sameday-courier-v1";
  const PING_BATCH_SIZE = 10;
  const PING_BATCH_MS = 15_000;
  const REFRESH_MS = 60_000;
  const BACKOFF_FIRST_MS = 1_000;
  const BACKOFF_MAX_MS = 60_000;
  // A position older than this is not attached to a stop event as the place it happened.
  const POSITION_FRESH_MS = 120_000;
  const MAX_ERRORS = 20;
  // Answers after which the same request may well succeed later; other 4xx never will.
  const RETRY_STATUSES = new Set([408, 425, 429]);
  const RETRY_CODES = new Set(["idempotency_key_in_flight"]);

  const EVENT_ORDER = ["arrived", "delivered", "pickup_done", "failed"];
  const EVENT_BUTTONS = {
    arrived: ["Arrived", "primary"],
    delivered: ["Delivered…", "good"],
    pickup_done: ["Picked up", "good"],
    failed: ["Failed…", "danger"],
  };
  const EVENT_NAMES = {
    arrived: "arrived",
    delivered: "delivered",
    pickup_done: "picked up",
    failed: "failed attempt",
  };
  const STATE_NAMES = {
    pending: "pending",
    arrived: "arrived",
    delivered: "delivered",
    failed: "failed",
    picked_up: "picked up",
  };
  const TERMINAL = new Set(["delivered", "failed", "picked_up"]);
  const REASON_NAMES = {
    not_at_home: "Not at home",
    address_not_found: "Address not found",
    refused: "Refused by the recipient",
    damaged: "Goods damaged",
    no_access: "No access",
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- storage and the queue

  function load(name, fallback) {
    try {
      const raw = localStorage.getItem(STORE + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  function save(name, value) {
    try {
      localStorage.setItem(STORE + name, JSON.stringify(value));
      return true;
    } catch {
      // Storage full or switched off: say so where the courier looks, once per page.
      const warning = $("storage-problem");
      if (warning) {
        warning.hidden = false;
      }
      return false;
    }
  }

  const queue = () => load("queue", []);

  function enqueue(item) {
    // Read, change, write at once: another tab of this page may have changed the queue.
    save("queue", [...queue(), { ...item, queued_at: new Date().toISOString() }]);
    render();
    flush();
  }

  function dequeue(id) {
    save("queue", queue().filter((item) => item.id !== id));
  }

  function newId() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // randomUUID needs a secure context (https, localhost); a version 4 UUID by hand otherwise.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)]
      .join("-");
  }

  function addError(text) {
    const errors = load("errors", []);
    errors.push({ id: newId(), text, at: new Date().toISOString() });
    save("errors", errors.slice(-MAX_ERRORS));
    renderErrors();
  }

  // ---------------------------------------------------------------- state

  let day = load("day", null);
  // Bumped by every answer to an action: a copy of the day requested before it may predate it.
  let generation = 0;
  let flushing = false;
  let retryTimer = null;
  let refreshTimer = null;
  let backoffMs = BACKOFF_FIRST_MS;
  let signedOut = false;
  // False after a request found no server although the phone has a network.
  let reachable = true;
  let watchId = null;
  let lastPosition = null;
  let geoStatus = "";
  let inspectAgain = false;
  const stopNodes = new Map(); // visit id -> its <li>

  // ---------------------------------------------------------------- sending

  async function flush() {
    if (flushing || signedOut) {
      return;
    }
    if (!navigator.onLine) {
      render(); // the "online" event flushes
      return;
    }
    flushing = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    try {
      for (let item = queue()[0]; item; item = queue()[0]) {
        const outcome = await send(item);
        if (outcome === "retry") {
          // Jittered, so that phones coming back online together do not retry in step.
          retryTimer = setTimeout(flush, backoffMs * (0.75 + Math.random() / 2));
          backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
          return;
        }
        if (outcome === "signin") {
          return;
        }
        backoffMs = BACKOFF_FIRST_MS;
        render();
      }
    } finally {
      flushing = false;
      render();
    }
  }

  async function send(item) {
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          ...(item.headers || {}),
        },
        body: item.body === undefined ? undefined : JSON.stringify(item.body),
      });
    } catch {
      // No network, or the connection dropped: whether or not the server has it, resending
      // under the same id is safe.
      reachable = false;
      return "retry";
    }
    reachable = true;
    const data = await response.json().catch(() => null);
    if (response.ok) {
      dequeue(item.id);
      accepted(item, data);
      return "done";
    }
    if (response.status === 401) {
      // Kept until the courier signs in again: dropping would lose the work.
      signedOut = true;
      return "signin";
    }
    if (
      response.status >= 500 ||
      RETRY_STATUSES.has(response.status) ||
      RETRY_CODES.has(data && data.code)
    ) {
      return "retry";
    }
    dequeue(item.id);
    refused(item, response.status, data || {});
    return "dropped";
  }

  function accepted(item, data) {
    if (item.type === "pings") {
      // Positions change no stop: a copy of the day being read meanwhile is still good.
      if (data) {
        geoStatus =
          `Position shared at ${hhmm(new Date().toISOString())}` +
          (data.rejected_count ? ` (${data.rejected_count} implausible points dropped)` : "");
      }
      return;
    }
    generation += 1;
    const route = day && day.route;
    if (route && data) {
      if (item.type === "event") {
        const stop = route.stops.find(
          (s) => s.visit_id === item.visit_id || s.stop_id === data.stop_id,
        );
        if (stop) {
          stop.state = data.stop_state;
          if (data.kind === "arrived") {
            stop.arrived_at = data.occurred_at;
          } else if (TERMINAL.has(data.stop_state)) {
            stop.done_at = data.occurred_at;
          }
        }
      } else if (item.type === "inspection" && route.vehicle_id === item.vehicle_id) {
        route.inspection = data;
        if (data.critical_failed) {
          route.vehicle_in_service = false;
        }
      } else if (item.type === "depart" && route.route_id === item.route_id) {
        route.status = data.status;
        route.departed_at = data.departed_at;
        save("depart_refusal", null);
      }
      save("day", day);
    }
    scheduleRefresh(300);
  }

  function refused(item, status, problem) {
    generation += 1;
    let text = problem.detail || problem.title || `refused (HTTP ${status})`;
    if (Array.isArray(problem.errors) && problem.errors.length) {
      text += ": " + problem.errors.map((e) => `${e.field} ${e.reason}`).join("; ");
    }
    if (item.type === "depart") {
      save("depart_refusal", { route_id: item.route_id, text });
    } else {
      addError(`${item.label}: ${text}`);
    }
    scheduleRefresh(300);
  }

  // ---------------------------------------------------------------- the day from the server

  function scheduleRefresh(delayMs) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshDay, delayMs);
  }

  async function refreshDay() {
    scheduleRefresh(REFRESH_MS); // ETAs move: ask again in a while
    if (!navigator.onLine) {
      return;
    }
    const started = generation;
    let response;
    try {
      response = await fetch("/courier/me/day", {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch {
      reachable = false;
      renderStatus();
      return;
    }
    reachable = true;
    if (response.status === 401) {
      signedOut = true;
      render();
      return;
    }
    if (!response.ok) {
      return;
    }
    const fresh = await response.json();
    if (generation !== started) {
      scheduleRefresh(300);
      return;
    }
    fresh.loaded_at = new Date().toISOString();
    day = fresh;
    save("day", day);
    if (signedOut) {
      signedOut = false;
      flush();
    }
    render();
  }

  // ---------------------------------------------------------------- showing it

  const clockFormats = new Map(); // by time zone: building one is not free

  function hhmm(iso) {
    if (!iso) {
      return "";
    }
    const zone = (day && day.timezone) || "UTC";
    if (!clockFormats.has(zone)) {
      clockFormats.set(
        zone,
        new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: zone }),
      );
    }
    return clockFormats.get(zone).format(new Date(iso));
  }

  function render() {
    renderStatus();
    renderErrors();
    $("loading").hidden = day !== null;
    $("no-route").hidden = !day || day.route !== null;
    $("route").hidden = !day || day.route === null;
    if (!day) {
      return;
    }
    if (!day.route) {
      $("no-route-day").textContent = day.day;
      updateGeolocation();
      return;
    }
    renderRouteHead();
    renderInspection();
    renderDeparture();
    renderStops();
    updateGeolocation();
  }

  function renderStatus() {
    const items = queue();
    const actions = items.filter((item) => item.type !== "pings").length;
    const positions =
      items
        .filter((item) => item.type === "pings")
        .reduce((n, item) => n + item.body.pings.length, 0) + load("positions", []).length;
    $("queued-count").textContent = String(actions);
    $("queued-noun").textContent = actions === 1 ? "action" : "actions";
    $("queued-positions").textContent = String(positions);
    const net = $("net-status");
    net.textContent = !navigator.onLine
      ? "Offline"
      : reachable
        ? "Online"
        : "Server not reachable, retrying";
    net.classList.toggle("offline", !navigator.onLine || !reachable);
    $("signed-out").hidden = !signedOut;
    $("geo-status").textContent = geoStatus;
    $("updated-at").textContent = day && day.loaded_at ? `Updated ${hhmm(day.loaded_at)}` : "";
  }

  function renderErrors() {
    const list = $("errors");
    list.replaceChildren(
      ...load("errors", []).map((error) => {
        const li = document.createElement("li");
        const text = document.createElement("span");
        text.textContent = error.text;
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "small";
        dismiss.textContent = "OK";
        dismiss.setAttribute("aria-label", "Dismiss this message");
        dismiss.addEventListener("click", () => {
          save("errors", load("errors", []).filter((e) => e.id !== error.id));
          renderErrors();
        });
        li.append(text, dismiss);
        return li;
      }),
    );
  }

  function renderRouteHead() {
    const route = day.route;
    $("vehicle-code").textContent = route.vehicle_code;
    $("route-day").textContent = day.day;
    const km = (route.distance_m / 1000).toFixed(0);
    $("route-summary").textContent =
      `Planned ${hhmm(route.planned_start_at)}–${hhmm(route.planned_end_at)}, ` +
      `${route.stops.length} stops, ${km} km.`;
    $("vehicle-out").hidden = route.vehicle_in_service;
  }

  // ---------------------------------------------------------------- the vehicle check

  function renderInspection() {
    const route = day.route;
    const section = $("inspection");
    section.hidden = route.status !== "planned";
    if (section.hidden) {
      return;
    }
    buildChecklist(route);
    const queued = queue().some(
      (item) => item.type === "inspection" && item.vehicle_id === route.vehicle_id,
    );
    const latest = route.inspection;
    const summary = $("inspection-summary");
    let showForm;
    summary.className = "";
    if (queued) {
      summary.textContent = "Your check is waiting to be sent.";
      showForm = false;
    } else if (!latest) {
      summary.textContent = "Not checked yet today: mark every item, then submit.";
      showForm = true;
    } else if (latest.passed) {
      const defects = latest.items.filter((i) => !i.passed).map((i) => i.label);
      summary.textContent =
        `Passed at ${hhmm(latest.performed_at)}.` +
        (defects.length ? ` Defects noted: ${defects.join(", ")}.` : "");
      summary.className = "ok";
      showForm = inspectAgain;
    } else {
      const failed = latest.items.filter((i) => !i.passed).map((i) => i.label);
      summary.textContent = `Failed at ${hhmm(latest.performed_at)}: ${failed.join(", ")}.`;
      summary.className = "bad";
      showForm = true;
    }
    $("inspection-form").hidden = !showForm;
    $("inspect-again").hidden = showForm || queued;
  }

  function buildChecklist(route) {
    const holder = $("checklist");
    const key = `${route.vehicle_id}:${route.checklist.map((i) => i.code).join(",")}`;
    if (holder.dataset.key === key) {
      return; // built already: keep what the courier has ticked
    }
    holder.dataset.key = key;
    holder.replaceChildren(
      ...route.checklist.map((item) => {
        const fieldset = document.createElement("fieldset");
        fieldset.dataset.code = item.code;
        const legend = document.createElement("legend");
        legend.textContent = item.label;
        if (item.critical) {
          const critical = document.createElement("span");
          critical.className = "critical";
          critical.textContent = " (critical)";
          legend.append(critical);
        }
        const choice = document.createElement("div");
        choice.className = "choice";
        for (const [value, text] of [
          ["pass", "Pass"],
          ["fail", "Fail"],
        ]) {
          const label = document.createElement("label");
          const input = document.createElement("input");
          input.type = "radio";
          input.name = `item-${item.code}`;
          input.value = value;
          label.append(input, ` ${text}`);
          choice.append(label);
        }
        const noteBox = document.createElement("div");
        noteBox.className = "fail-note";
        noteBox.hidden = true;
        const noteLabel = document.createElement("label");
        noteLabel.htmlFor = `note-${item.code}`;
        noteLabel.textContent = "What is wrong?";
        const note = document.createElement("textarea");
        note.id = `note-${item.code}`;
        note.maxLength = 1000;
        noteBox.append(noteLabel, note);
        choice.addEventListener("change", () => {
          noteBox.hidden = choiceOf(fieldset) !== "fail";
        });
        fieldset.append(legend, choice, noteBox);
        return fieldset;
      }),
    );
  }

  function choiceOf(fieldset) {
    const checked = fieldset.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  function submitInspection(event) {
    event.preventDefault();
    const route = day.route;
    const problem = $("inspection-problem");
    const odometer = $("odometer");
    const km = Number(odometer.value);
    const fieldsets = [...$("checklist").querySelectorAll("fieldset")];
    let firstBad = null;
    let message = "";
    if (odometer.value.trim() === "" || !Number.isInteger(km) || km < 0 || km > 10_000_000) {
      firstBad = odometer;
      message = "Enter the odometer reading in whole kilometres.";
    }
    const items = [];
    for (const fieldset of fieldsets) {
      const choice = choiceOf(fieldset);
      const note = fieldset.querySelector("textarea").value.trim();
      if (!choice || (choice === "fail" && !note)) {
        if (!firstBad) {
          firstBad = choice ? fieldset.querySelector("textarea") : fieldset.querySelector("input");
          message = choice
            ? `Say what is wrong with: ${fieldset.querySelector("legend").firstChild.textContent}.`
            : `Mark pass or fail for: ${fieldset.querySelector("legend").firstChild.textContent}.`;
        }
        continue;
      }
      items.push({ code: fieldset.dataset.code, passed: choice === "pass", note: note || null });
    }
    problem.hidden = !firstBad;
    problem.textContent = message;
    if (firstBad) {
      firstBad.focus();
      return;
    }
    const id = newId();
    enqueue({
      id,
      type: "inspection",
      vehicle_id: route.vehicle_id,
      url: `/vehicles/${route.vehicle_id}/inspections`,
      headers: { "Idempotency-Key": id },
      body: {
        day: day.day,
        performed_at: new Date().toISOString(),
        odometer_km: km,
        items,
      },
      label: `Vehicle check of ${route.vehicle_code}`,
    });
    inspectAgain = false;
    event.target.reset();
    for (const box of $("checklist").querySelectorAll(".fail-note")) {
      box.hidden = true;
    }
    render();
  }

  // ---------------------------------------------------------------- departure

  function renderDeparture() {
    const route = day.route;
    const queued = queue().some((item) => item.type === "depart" && item.route_id === route.route_id);
    const button = $("depart-button");
    button.hidden = route.status !== "planned";
    button.disabled = queued;
    const status = $("depart-status");
    if (route.status === "planned") {
      status.textContent = queued
        ? "Departure waiting to be sent: the departure gate answers once there is network."
        : "Depart once the vehicle check has passed and everything is loaded.";
    } else if (route.status === "departed") {
      status.textContent = `Departed at ${hhmm(route.departed_at)}.`;
    } else {
      status.textContent = `Route done at ${hhmm(route.finished_at)}.`;
    }
    const refusal = load("depart_refusal", null);
    const box = $("depart-refusal");
    box.hidden = !(refusal && refusal.route_id === route.route_id && route.status === "planned");
    box.textContent = refusal ? `Departure refused: ${refusal.text}` : "";
  }

  function depart() {
    const route = day.route;
    save("depart_refusal", null);
    const id = newId();
    enqueue({
      id,
      type: "depart",
      route_id: route.route_id,
      url: `/routes/${route.route_id}/depart`,
      headers: { "Idempotency-Key": id },
      label: "Departure",
    });
  }

  // ---------------------------------------------------------------- stops

  // Each stop's state as the courier should see it: the server's, then the actions not yet
  // sent, in order, through the API's own transition table.
  function shownStates() {
    const shown = new Map();
    for (const stop of day.route.stops) {
      shown.set(stop.visit_id, { state: stop.state, waiting: 0, kind: stop.kind });
    }
    for (const item of queue()) {
      const entry = item.type === "event" ? shown.get(item.visit_id) : undefined;
      if (entry) {
        const moves = (day.transitions[entry.kind] || {})[entry.state] || {};
        entry.state = moves[item.body.kind] || entry.state;
        entry.waiting += 1;
      }
    }
    return shown;
  }

  function renderStops() {
    const route = day.route;
    const shown = shownStates();
    const list = $("stops");
    const wanted = [];
    let done = 0;
    let nextFound = false;
    for (const stop of route.stops) {
      let li = stopNodes.get(stop.visit_id);
      if (!li) {
        li = createStop(stop.visit_id);
        stopNodes.set(stop.visit_id, li);
      }
      const entry = shown.get(stop.visit_id);
      const isNext = !nextFound && !TERMINAL.has(entry.state);
      nextFound ||= isNext;
      done += TERMINAL.has(entry.state) ? 1 : 0;
      fillStop(li, stop, entry, isNext, route.status === "departed");
      wanted.push(li);
    }
    for (const [visit, li] of stopNodes) {
      if (!route.stops.some((stop) => stop.visit_id === visit)) {
        li.remove();
        stopNodes.delete(visit);
      }
    }
    // Moved only when out of place, so that a field being typed in keeps its focus.
    wanted.forEach((li, k) => {
      if (list.children[k] !== li) {
        list.insertBefore(li, list.children[k] || null);
      }
    });
    $("stops-done").textContent = String(done);
    $("stops-total").textContent = String(route.stops.length);
  }

  function createStop(visitId) {
    const li = $("stop-template").content.firstElementChild.cloneNode(true);
    li.dataset.visitId = String(visitId);
    const deliver = li.querySelector("form.deliver");
    const fail = li.querySelector("form.fail");
    li.querySelector(".events").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-event]");
      if (!button) {
        return;
      }
      const kind = button.dataset.event;
      if (kind === "delivered") {
        openForm(li, deliver);
      } else if (kind === "failed") {
        openForm(li, fail);
      } else {
        report(visitId, kind, {});
      }
    });
    for (const form of [deliver, fail]) {
      form.querySelector("button.cancel").addEventListener("click", () => closeForms(li));
    }
    deliver.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = deliver.elements.recipient_name.value.trim();
      if (!name) {
        deliver.elements.recipient_name.focus();
        return;
      }
      const proof = { recipient_name: name };
      for (const field of ["signature_ref", "photo_ref"]) {
        const value = deliver.elements[field].value.trim();
        if (value) {
          proof[field] = value;
        }
      }
      closeForms(li);
      report(visitId, "delivered", proof);
    });
    fail.addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = fail.elements.failure_reason.value;
      if (!reason) {
        fail.elements.failure_reason.focus();
        return;
      }
      const details = { failure_reason: reason };
      const note = fail.elements.note.value.trim();
      if (note) {
        details.note = note;
      }
      closeForms(li);
      report(visitId, "failed", details);
    });
    return li;
  }

  function openForm(li, form) {
    closeForms(li);
    if (form.classList.contains("fail")) {
      const select = form.elements.failure_reason;
      select.replaceChildren(
        new Option("Choose a reason", ""),
        ...day.failure_reasons.map((code) => new Option(REASON_NAMES[code] || code, code)),
      );
    }
    form.hidden = false;
    li.querySelector(".events").hidden = true;
    form.querySelector("input, select").focus();
  }

  function closeForms(li) {
    for (const form of li.querySelectorAll("form.proof")) {
      form.hidden = true;
      form.reset();
    }
    li.querySelector(".events").hidden = false;
  }

  function fillStop(li, stop, entry, isNext, underWay) {
    li.className = `state-${entry.state}` + (isNext ? " next" : "");
    li.querySelector(".seq").textContent = String(stop.sequence);
    li.querySelector(".address").textContent =
      (stop.kind === "pickup" ? "Pickup: " : "") +
      (stop.address || `${stop.lat.toFixed(5)}, ${stop.lng.toFixed(5)}`);
    const badge = li.querySelector(".badge.state");
    badge.className = `badge state state-${entry.state}`;
    badge.textContent = STATE_NAMES[entry.state] || entry.state;
    const waiting = li.querySelector(".badge.waiting");
    waiting.hidden = entry.waiting === 0;
    waiting.textContent = `${entry.waiting} waiting to send`;

    const recipient = li.querySelector(".recipient");
    recipient.replaceChildren(stop.recipient_name);
    if (stop.recipient_phone) {
      const call = document.createElement("a");
      call.href = `tel:${stop.recipient_phone.replace(/[^0-9+]/g, "")}`;
      call.textContent = stop.recipient_phone;
      recipient.append(" · ", call);
    }
    li.querySelector(".window").textContent =
      stop.windows.map((w) => `${hhmm(w.starts_at)}–${hhmm(w.ends_at)}`).join(", ") || "any time";
    li.querySelector(".planned").textContent = hhmm(stop.planned_arrival_at);
    const showEta = underWay && stop.eta_at && !TERMINAL.has(entry.state);
    li.querySelector(".eta-label").hidden = !showEta;
    const eta = li.querySelector(".eta");
    eta.hidden = !showEta;
    eta.textContent = showEta ? hhmm(stop.eta_at) + (stop.projected_late ? " (late)" : "") : "";
    eta.classList.toggle("late", Boolean(showEta && stop.projected_late));
    const count = stop.parcels.reduce((n, p) => n + p.count, 0);
    const kg = stop.parcels.reduce((n, p) => n + p.count * p.weight_g, 0) / 1000;
    li.querySelector(".parcels").textContent =
      `${count} parcel${count === 1 ? "" : "s"}, ${kg.toFixed(1)} kg` +
      (stop.handling.length ? ` · ${stop.handling.join(", ")}` : "");
    const notes = stop.notes || "";
    li.querySelector(".notes-label").hidden = !notes;
    li.querySelector(".notes").hidden = !notes;
    li.querySelector(".notes").textContent = notes;

    const place = `${stop.lat},${stop.lng}`;
    const label = stop.address || stop.recipient_name;
    li.querySelector(".maps-app").href = `geo:${place}?q=${place}(${encodeURIComponent(label)})`;
    const from = lastPosition ? `${lastPosition.lat},${lastPosition.lng}` : "";
    li.querySelector(".osm").href =
      "https://www.openstreetmap.org/directions?route=" + encodeURIComponent(`${from};${place}`);

    // Only the events the stop's state allows, and only once the route is under way.
    const moves = underWay ? (day.transitions[stop.kind] || {})[entry.state] || {} : {};
    const allowed = EVENT_ORDER.filter((kind) => kind in moves);
    const events = li.querySelector(".events");
    if (events.dataset.allowed !== allowed.join(",")) {
      events.dataset.allowed = allowed.join(",");
      events.replaceChildren(
        ...allowed.map((kind) => {
          const button = document.createElement("button");
          button.type = "button";
          button.dataset.event = kind;
          button.className = EVENT_BUTTONS[kind][1];
          button.textContent = EVENT_BUTTONS[kind][0];
          button.setAttribute("aria-label", `${EVENT_BUTTONS[kind][0]} at stop ${stop.sequence}`);
          return button;
        }),
      );
      // A form for an event that is no longer allowed is closed.
      for (const form of li.querySelectorAll("form.proof")) {
        const kind = form.classList.contains("deliver") ? "delivered" : "failed";
        if (!form.hidden && !allowed.includes(kind)) {
          closeForms(li);
        }
      }
    }
  }

  function report(visitId, kind, details) {
    const stop = day.route.stops.find((s) => s.visit_id === visitId);
    if (!stop) {
      return;
    }
    const id = newId();
    const event = {
      client_event_id: id,
      kind,
      occurred_at: new Date().toISOString(),
      ...details,
    };
    if (lastPosition && Date.now() - lastPosition.at < POSITION_FRESH_MS) {
      event.lat = lastPosition.lat;
      event.lng = lastPosition.lng;
    }
    enqueue({
      id,
      type: "event",
      visit_id: visitId,
      url: `/courier/me/stops/${stop.stop_id}/events`,
      body: event,
      label: `Stop ${stop.sequence}, ${EVENT_NAMES[kind]}`,
    });
  }

  // ---------------------------------------------------------------- position sharing

  function updateGeolocation() {
    const share = Boolean(day && day.route && day.route.status === "departed");
    if (share && watchId === null) {
      if (!("geolocation" in navigator)) {
        geoStatus = "This browser cannot share its position.";
        return;
      }
      geoStatus = "Sharing your position…";
      watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, {
        enableHighAccuracy: true,
        maximumAge: 5_000,
        timeout: 60_000,
      });
    } else if (!share && watchId !== null) {
      navigator.geolocation.clearWatch(watchId);
      watchId = null;
      batchPositions();
      geoStatus = "";
    }
  }

  function onPosition(position) {
    const c = position.coords;
    const ping = {
      device_at: new Date(position.timestamp).toISOString(),
      lat: c.latitude,
      lng: c.longitude,
    };
    // The API bounds these; a browser reports NaN or null when it does not know them.
    if (Number.isFinite(c.accuracy) && c.accuracy >= 0) {
      ping.accuracy_m = Math.min(c.accuracy, 100_000);
    }
    if (Number.isFinite(c.speed) && c.speed >= 0) {
      ping.speed_m_s = Math.min(c.speed, 1_000);
    }
    if (Number.isFinite(c.heading) && c.heading >= 0) {
      ping.heading_deg = c.heading % 360;
    }
    lastPosition = { lat: c.latitude, lng: c.longitude, at: Date.now() };
    const buffer = load("positions", []);
    if (buffer.length && buffer[buffer.length - 1].device_at === ping.device_at) {
      return;
    }
    buffer.push(ping);
    save("positions", buffer);
    if (buffer.length >= PING_BATCH_SIZE) {
      batchPositions();
    } else {
      renderStatus();
    }
  }

  function onPositionError(error) {
    if (error.code === error.PERMISSION_DENIED) {
      geoStatus = "Position sharing is off: allow location for this page.";
    } else if (!lastPosition || Date.now() - lastPosition.at > POSITION_FRESH_MS) {
      geoStatus = "Position not available yet.";
    } else {
      return; // a passing gap (a tunnel, a new fix being taken): the next position follows
    }
    renderStatus();
  }

  // Positions wait in their own buffer and go into the queue in batches, so that a day of
  // pings is a few hundred requests, not thousands.
  function batchPositions() {
    const buffer = load("positions", []);
    if (!buffer.length) {
      return;
    }
    save("positions", []);
    enqueue({
      id: newId(),
      type: "pings",
      url: "/courier/me/pings",
      body: { pings: buffer },
      label: `${buffer.length} positions`,
    });
  }

  // ---------------------------------------------------------------- wiring

  $("inspection-form").addEventListener("submit", submitInspection);
  $("inspect-again").addEventListener("click", () => {
    inspectAgain = true;
    render();
    $("odometer").focus();
  });
  $("depart-button").addEventListener("click", depart);
  for (const button of document.querySelectorAll("button.refresh")) {
    button.addEventListener("click", refreshDay);
  }
  $("logout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const waiting = queue().filter((item) => item.type !== "pings").length;
    if (
      waiting &&
      !window.confirm(
        `${waiting} actions are not sent yet. They stay on this phone and are sent when you ` +
          "sign in again. Sign out?",
      )
    ) {
      return;
    }
    if (window.caches) {
      await caches.delete(SHELL_CACHE).catch(() => false);
    }
    event.target.submit();
  });
  window.addEventListener("online", () => {
    backoffMs = BACKOFF_FIRST_MS;
    flush();
    refreshDay();
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      flush();
      refreshDay();
    }
  });
  window.addEventListener("storage", (event) => {
    // Another tab of this page changed the queue or the day.
    if (event.key && event.key.startsWith(STORE)) {
      day = load("day", day);
      render();
    }
  });
  setInterval(batchPositions, PING_BATCH_MS);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(body.dataset.serviceWorker, { scope: "/courier" })
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        body.dataset.offlineReady = "true";
      })
      .catch(() => {
        // Without it the page works all the same; it only cannot be opened offline.
      });
  }

  render();
  refreshDay();
  flush();
})();
