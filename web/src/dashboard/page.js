// What every part of the dashboard shares: requests to this service's GraphQL endpoint with the
// page's session cookie, building elements, the お知らせ announcements and the Tokyo dates.
//
// Requests are JSON (a content type no other site can post without a CORS preflight, which
// the CSRF guard requires of cookie-authenticated writes). Everything is written with
// textContent: nothing received is ever parsed as HTML.

import { formatDate, formatTime } from "./dates.js";
import { persistedRequest } from "./persisted.js";

export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

let onUnauthenticated = () => {};

// What to do when an answer says the session is gone (the login page shows itself again).
export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

export async function graphql(query, variables = {}) {
  // By the operation's hash first (persisted.js); with its text when the service asks for it.
  const body = await persistedRequest(
    async (request) => {
      const response = await fetch("/graphql", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(request),
      });
      return response.json();
    },
    query,
    variables,
  );
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? "INTERNAL_SERVER_ERROR";
    if (code === "UNAUTHENTICATED")
      onUnauthenticated("セッションが終了しました。もう一度ログインしてください。");
    throw new ApiError(code, error.message);
  }
  return body.data;
}

export function userErrors(errors) {
  return errors.map((error) => error.message).join(" ");
}

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// Days and moments are written one way on every page (dates.js: the Japanese era).
export { formatDate, formatTime };

export function timeElement(iso, text = formatTime(iso)) {
  const time = element("time", text);
  time.dateTime = iso;
  return time;
}

// A GraphQL Date (a day in Asia/Tokyo) as a `<time>`.
export const dateElement = (day) => timeElement(day, formatDate(day));

export function announce(at, text) {
  const item = element("li");
  item.append(timeElement(at), " ", text);
  $("notices").prepend(item);
}

export const announceNow = (text) => announce(new Date().toISOString(), text);

// A link only to this origin: a URL from the API never becomes a `javascript:` or foreign link.
export function isSameOrigin(path) {
  return new URL(path, window.location.href).origin === window.location.origin;
}
