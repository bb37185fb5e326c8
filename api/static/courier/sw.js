// The courier page's service worker: keeps the page and its script so that the page opens
// without network (a reload in a dead zone). The day's data and the queue of unsent actions
// live in the page's localStorage, not here; API requests pass straight through.
"use strict";

const CACHE = "sameday-courier-v1";
const SHELL = ["/courier", "/static/courier/courier.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(event.request, url.pathname));
  }
});

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    SHELL.map(async (path) => {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-cache" });
      if (keepable(response)) {
        await cache.put(path, response);
      }
    }),
  );
}

// Fresh when there is network (the page changes with deployments and sign-ins), the kept copy
// when there is none.
async function networkFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response =
      request.mode === "navigate"
        ? await fetch(request)
        : await fetch(path, { credentials: "same-origin", cache: "no-cache" });
    if (keepable(response)) {
      await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (kept) {
      return kept;
    }
    throw error;
  }
}

// Only the courier's own page: not the sign-in form a signed-out visit is sent to, nor a
// refusal shown to another role.
function keepable(response) {
  return response.ok && !response.redirected && response.type === "basic";
}
