// The dispatcher page's live panel: couriers moving on the plan map, late stops, stops done,
// proposed replans, customer messages that failed for good, all from the server-sent events of GET /live/events.
//
// Every event is applied by its key (courier, order, job), so an event seen twice, after a
// reconnect or a reload, changes nothing. The map is the plan map in the iframe #plan-map
// (same origin): it names its Leaflet map window.samedayMap and marks each stop with
// data-order-id, so couriers are drawn on it and stops restyled in place.
(function () {
  "use strict";

  const root = document.getElementById("live");
  if (!root) return;
  const day = root.dataset.day;
  const eventsUrl = root.dataset.eventsUrl;
  const couriersUrl = root.dataset.couriersUrl;
  let lastId = root.dataset.after;
  const statusBadge = document.getElementById("live-status");
  const courierList = document.getElementById("live-couriers");
  const lateList = document.getElementById("late-stops");
  const replanList = document.getElementById("replans");
  const clock = new Intl.DateTimeFormat("en-GB", {
    timeZone: root.dataset.zone, hour: "2-digit", minute: "2-digit",
  });

  // What the map shows, kept here so that it can be drawn again when the map (re)loads.
  const couriers = new Map();  // courier id -> {courier_id, name, vehicle, route_id, lat, lng, at, status}
  const stopClass = new Map();  // order id -> "sd-done" | "sd-failed"
  const lateOrders = new Set();
  const markers = new Map();  // courier id -> Leaflet marker in the map's window

  function hhmm(iso) {
    return iso ? clock.format(new Date(iso)) : "–";
  }

  function element(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(state, text) {
    statusBadge.dataset.state = state;
    statusBadge.textContent = text;
  }

  // --- the map --------------------------------------------------------------------------

  function mapWindow() {
    const frame = document.getElementById("plan-map");
    try {
      const win = frame && frame.contentWindow;
      return win && win.samedayMap && win.L ? win : null;
    } catch (error) {
      return null;  // not loaded yet
    }
  }

  function stopMarker(win, orderId) {
    return win.document.querySelector('.sd-stop[data-order-id="' + orderId + '"]');
  }

  function styleStop(orderId) {
    const win = mapWindow();
    const marker = win && stopMarker(win, orderId);
    if (!marker) return;
    marker.classList.toggle("sd-late", lateOrders.has(orderId));
    marker.classList.toggle("sd-done", stopClass.get(orderId) === "sd-done");
    marker.classList.toggle("sd-failed", stopClass.get(orderId) === "sd-failed");
  }

  function popupText(c) {
    const node = document.createElement("div");
    node.appendChild(element("b", {}, c.name || "Courier " + c.courier_id));
    node.appendChild(document.createElement("br"));
    node.appendChild(document.createTextNode(
      (c.vehicle || "") + " · route " + c.route_id + " · seen " + hhmm(c.at)));
    return node;
  }

  function drawCourier(c) {
    const win = mapWindow();
    if (!win || c.lat === undefined || c.lat === null) return;
    let marker = markers.get(c.courier_id);
    // A marker of an earlier document of the frame went with it. The map of a new document
    // may be drawn on before its load event, so its markers are told apart by their map.
    if (marker && marker.samedayMap !== win.samedayMap) marker = null;
    if (!marker) {
      const label = element("div", { class: "sd-courier", "data-courier-id": String(c.courier_id) },
        c.vehicle || String(c.courier_id));
      marker = win.L.marker([c.lat, c.lng], {
        icon: win.L.divIcon({ html: label.outerHTML, className: "sd-icon", iconSize: null }),
        zIndexOffset: 1000,
        title: c.name || "",
      }).addTo(win.samedayMap);
      marker.samedayMap = win.samedayMap;
      markers.set(c.courier_id, marker);
    } else {
      marker.setLatLng([c.lat, c.lng]);
    }
    marker.bindPopup(popupText(c));
  }

  function drawMap() {
    for (const c of couriers.values()) drawCourier(c);
    const orders = new Set([...lateOrders, ...stopClass.keys()]);
    for (const orderId of orders) styleStop(orderId);
  }

  const frame = document.getElementById("plan-map");
  if (frame) {
    // A new document: markers drawn on its map before this event are kept (see drawCourier).
    frame.addEventListener("load", drawMap);
  }

  // --- the lists ------------------------------------------------------------------------

  function emptyNote(list, text) {
    const items = list.querySelectorAll("li:not(.empty)").length;
    let note = list.querySelector("li.empty");
    if (items === 0 && !note) list.appendChild(element("li", { class: "empty" }, text));
    if (items > 0 && note) note.remove();
  }

  function courierItem(c) {
    let item = courierList.querySelector('li[data-courier-id="' + c.courier_id + '"]');
    if (!item) {
      item = element("li", { "data-courier-id": String(c.courier_id) });
      courierList.appendChild(item);
    }
    item.dataset.status = c.status || "";
    item.textContent = "";
    item.appendChild(element("b", {}, c.name || "Courier " + c.courier_id));
    const parts = [c.vehicle || "", "route " + c.route_id, c.status || ""];
    if (c.at) parts.push("seen " + hhmm(c.at));
    if (c.next) parts.push("next: " + c.next);
    item.appendChild(document.createTextNode(" " + parts.filter(Boolean).join(" · ")));
    emptyNote(courierList, "No courier on a published route yet.");
  }

  function updateCourier(courierId, change) {
    const known = couriers.get(courierId) || { courier_id: courierId };
    // Positions go by device time: a snapshot read before a newer event must not undo it.
    if (change.at && known.at && new Date(change.at) < new Date(known.at)) {
      delete change.lat; delete change.lng; delete change.at;
    }
    const c = Object.assign(known, change);
    couriers.set(courierId, c);
    courierItem(c);
    drawCourier(c);
  }

  function lateText(item, p) {
    item.textContent = "";
    item.appendChild(element("b", {}, p.reference || "order " + p.order_id));
    item.appendChild(document.createTextNode(
      " (stop " + p.sequence + ", route " + item.dataset.routeId + "): ETA "));
    item.appendChild(element("span", { class: "eta" }, hhmm(p.eta_at)));
    item.appendChild(document.createTextNode(" vs window end " + hhmm(p.window_end_at) + " ("));
    item.appendChild(element("span", { class: "late-by" }, "+" + Math.floor(p.late_by_s / 60) + " min"));
    item.appendChild(document.createTextNode(")"));
  }

  function countLate() {
    document.getElementById("late-count").textContent =
      String(lateList.querySelectorAll("li[data-order-id]").length);
  }

  function markLate(event) {
    const p = event.payload;
    const orderId = String(p.order_id);
    let item = lateList.querySelector('li[data-order-id="' + orderId + '"]');
    if (!item) {
      item = element("li", { "data-order-id": orderId });
      lateList.appendChild(item);
    }
    item.dataset.routeId = String(event.route_id);
    lateText(item, p);
    lateOrders.add(orderId);
    styleStop(orderId);
    countLate();
  }

  function clearLate(orderId) {
    const item = lateList.querySelector('li[data-order-id="' + orderId + '"]');
    if (item) item.remove();
    lateOrders.delete(orderId);
    styleStop(orderId);
    countLate();
  }

  function proposal(p) {
    const jobId = String(p.job_id);
    let item = replanList.querySelector('li[data-job-id="' + jobId + '"]');
    if (!item) {
      item = element("li", { "data-job-id": jobId });
      replanList.appendChild(item);
    }
    item.textContent = "";
    item.appendChild(element("span", { class: "code" }, p.trigger || "replan"));
    item.appendChild(document.createTextNode(" " + (p.summary || p.reason || "") + " "));
    item.appendChild(element("button", { type: "button", class: "accept-replan", "data-job-id": jobId }, "Accept"));
    item.appendChild(element("span", { class: "replan-result reason" }));
    countReplans();
  }

  // A customer message that failed for good: shown at the top of the notifications panel
  // (by its id, so a replayed event replaces its own line).
  function notificationFailed(p) {
    const list = document.querySelector("#notifications ul");
    if (!list) return;
    const id = String(p.notification_id);
    let item = list.querySelector('li[data-notification-id="' + id + '"]');
    if (!item) {
      item = element("li", { "data-notification-id": id });
      list.insertBefore(item, list.firstChild);
    }
    item.dataset.status = "failed";
    item.textContent = "";
    item.appendChild(element("span", { class: "code" }, p.template_code));
    item.appendChild(document.createTextNode(
      (p.order_id ? " · order " + p.order_id : "") + " · " + p.channel + " to " + p.recipient + " · "));
    item.appendChild(element("b", { class: "error" }, "failed"));
    item.appendChild(document.createTextNode(" (" + p.attempts + " attempts)"));
    if (p.last_error) {
      item.appendChild(element("br"));
      item.appendChild(element("span", { class: "reason" }, p.last_error));
    }
  }

  function decided(jobId) {
    const item = replanList.querySelector('li[data-job-id="' + jobId + '"]');
    if (item) item.remove();
    countReplans();
  }

  function countReplans() {
    document.getElementById("replan-count").textContent =
      String(replanList.querySelectorAll("li[data-job-id]").length);
  }

  replanList.addEventListener("click", async function (click) {
    const button = click.target.closest("button.accept-replan");
    if (!button) return;
    const result = button.parentElement.querySelector(".replan-result");
    button.disabled = true;
    const response = await fetch("/replans/" + button.dataset.jobId + "/accept", {
      method: "POST", credentials: "same-origin",
    });
    if (response.ok) {
      result.textContent = "accepted";
    } else {
      const problem = await response.json().catch(function () { return {}; });
      result.textContent = problem.detail || "refused (" + response.status + ")";
      result.className = "replan-result error";
      button.disabled = false;
    }
  });

  // --- the events -----------------------------------------------------------------------

  const handlers = {
    position: function (event) {
      const p = event.payload;
      updateCourier(p.courier_id, {
        name: p.courier_name, vehicle: p.vehicle_code, route_id: event.route_id,
        lat: p.lat, lng: p.lng, at: p.device_at, status: "departed",
      });
    },
    route_departed: function (event) {
      const p = event.payload;
      updateCourier(event.courier_id, {
        name: p.courier_name, vehicle: p.vehicle_code, route_id: event.route_id, status: "departed",
      });
    },
    route_finished: function (event) {
      if (event.courier_id !== null) updateCourier(event.courier_id, { status: "done", next: "" });
    },
    stop_event: function (event) {
      const p = event.payload;
      const orderId = String(p.order_id);
      if (p.state === "delivered" || p.state === "picked_up") stopClass.set(orderId, "sd-done");
      else if (p.state === "failed") stopClass.set(orderId, "sd-failed");
      if (stopClass.has(orderId)) clearLate(orderId);
      styleStop(orderId);
    },
    etas: function (event) {
      const stops = event.payload.stops;
      for (const s of stops) {
        const item = lateList.querySelector('li[data-order-id="' + s.order_id + '"]');
        if (item && s.late) lateText(item, Object.assign({ reference: item.querySelector("b").textContent }, s));
      }
      if (event.courier_id !== null && stops.length) {
        updateCourier(event.courier_id, { next: "stop " + stops[0].sequence + " at " + hhmm(stops[0].eta_at) });
      }
    },
    late: markLate,
    late_cleared: function (event) { clearLate(String(event.payload.order_id)); },
    replan_proposed: function (event) { proposal(event.payload); },
    replan_applied: function (event) { decided(String(event.payload.job_id)); },
    replan_rejected: function (event) { decided(String(event.payload.job_id)); },
    notification_failed: function (event) { notificationFailed(event.payload); },
  };

  let source = null;
  let retryTimer = null;

  function connect() {
    const query = new URLSearchParams({ day: day, after: lastId });
    source = new EventSource(eventsUrl + "?" + query.toString());
    source.onopen = function () { setStatus("live", "live"); };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, server full): the browser gives up; try again from the last id.
        setStatus("offline", "offline");
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, 5000);
      } else {
        setStatus("reconnecting", "reconnecting…");  // the browser retries with Last-Event-ID
      }
    };
    for (const kind of Object.keys(handlers)) {
      source.addEventListener(kind, function (message) {
        lastId = message.lastEventId || lastId;
        handlers[kind](JSON.parse(message.data));
      });
    }
  }

  for (const item of lateList.querySelectorAll("li[data-order-id]")) lateOrders.add(item.dataset.orderId);
  for (const orderId of root.dataset.done.split(" ").filter(Boolean)) stopClass.set(orderId, "sd-done");
  for (const orderId of root.dataset.failed.split(" ").filter(Boolean)) stopClass.set(orderId, "sd-failed");

  fetch(couriersUrl + "?" + new URLSearchParams({ day: day }).toString(), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(function (found) {
      for (const c of found) {
        const change = {
          name: c.courier_name, vehicle: c.vehicle_code, route_id: c.route_id, status: c.route_status,
        };
        if (c.position) Object.assign(change, { lat: c.position.lat, lng: c.position.lng, at: c.position.device_at });
        if (c.next_stop) {
          change.next = "stop " + c.next_stop.sequence + " at " +
            hhmm(c.next_stop.eta_at || c.next_stop.planned_arrival_at);
        }
        updateCourier(c.courier_id, change);
      }
    })
    .catch(function () { /* the stream still brings positions as couriers move */ });

  window.addEventListener("beforeunload", function () { if (source) source.close(); });
  connect();
  drawMap();
})();
