// The counter's page (窓口 審査ページ), for the staff of a Hello Work office: log in with the
// password and the mailed one-time password, work the office's review queue oldest first
// (queue.js), open an item and settle it (review.js), find an establishment (search.js); the
// queue follows what arrives and what colleagues take, live over graphql-transport-ws.
//
// The session is the HttpOnly cookie the API sets at login: this script never sees the token.
// The WebSocket carries the cookie too.
import { createClient } from "graphql-ws";

import "../dashboard/dashboard.css";
import "./counter.css";
import { setUpLogin } from "../dashboard/login.js";
import { $, announce, graphql, whenUnauthenticated } from "../dashboard/page.js";
import { itemLabel, waitingSince } from "./labels.js";
import { QUEUE_ITEM, addItem, loadQueue, removeItem, setUpQueue } from "./queue.js";
import { closeItem, itemGone, openItem, openItemId, settledHere, setUpReview } from "./review.js";
import { resetSearch, setUpSearch } from "./search.js";

// The WebSocket close code of a missing or ended session.
const FORBIDDEN = 4403;

const SESSION_ENDED = "セッションが終了しました。もう一度ログインしてください。";

const VIEWER = `query CounterViewer { viewer { id portal email office { id name } } }`;

const LOGIN = `mutation CounterLogin($input: LoginInput!) {
  login(input: $input) { session { expiresAt } otpChallenge { id } errors { code message } }
}`;

const VERIFY_OTP = `mutation CounterLoginVerifyOtp($input: LoginVerifyOtpInput!) {
  loginVerifyOtp(input: $input) { session { expiresAt } errors { code message } }
}`;

const LOGOUT = `mutation CounterLogout { logout { errors { code message } } }`;

// Read before the queue: the live updates start from it, so nothing that happens after the
// page read the queue is missed (at worst an item is both read and delivered, which is harmless).
const EVENT_CURSOR = `query CounterEventCursor { eventCursor }`;

const QUEUE_CHANGED = `subscription CounterReviewQueueChanged($after: String) {
  reviewQueueChanged(after: $after) {
    cursor change kind itemId at
    item { ${QUEUE_ITEM} }
  }
}`;

// Set up by main(): back to the login form's first step.
let resetLogin = () => {};

const state = { client: null, unsubscribe: null };

function show(view) {
  $("login").hidden = view !== "login";
  $("counter").hidden = view !== "counter";
  $("account").hidden = view !== "counter";
}

// --- Login ------------------------------------------------------------------------------------

function showLogin(message = "") {
  stopLive();
  resetLogin(message);
  show("login");
  $("email").focus();
}

function signedOut(message) {
  if (!$("counter").hidden) showLogin(message);
}

// --- Live updates --------------------------------------------------------------------------------

function onQueueChanged(event) {
  if (event.change === "ADDED" && event.item) {
    addItem(event.item, waitingSince(event.item, event.at));
    announce(event.at, `新しい審査待ち: ${itemLabel(event.item)}`);
    return;
  }
  const wasOpen = openItemId() === event.itemId;
  const node = removeItem(event.itemId);
  if (settledHere(event.itemId)) return;
  const taken = event.change === "TAKEN";
  if (wasOpen) itemGone(event.itemId, taken);
  if (!node) return;
  announce(
    event.at,
    taken
      ? `他の職員が処理しました: ${itemLabel(node)}`
      : `審査待ちから外れました: ${itemLabel(node)}`,
  );
}

function isForbidden(error) {
  if (error?.code === FORBIDDEN) return true;
  return Array.isArray(error) && error.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}

function startLive(after) {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const client = createClient({
    url: url.href,
    retryAttempts: Infinity,
    // A missing or ended session (4403) is final: log in again.
    shouldRetry: (event) => event?.code !== FORBIDDEN,
  });
  client.on("connecting", () => {
    $("live-state").textContent = "リアルタイム更新: 接続中…";
  });
  client.on("connected", () => {
    $("live-state").textContent = "リアルタイム更新: 接続済み";
  });
  client.on("closed", (event) => {
    if (state.client === client) $("live-state").textContent = "リアルタイム更新: 再接続中…";
    if (event?.code === FORBIDDEN) signedOut(SESSION_ENDED);
  });
  // graphql-ws sends this same payload again when it reconnects: keeping the cursor of the
  // last delivery in it makes the server replay, in order, whatever came while away.
  const payload = { query: QUEUE_CHANGED, variables: { after } };
  state.client = client;
  state.unsubscribe = client.subscribe(payload, {
    next(result) {
      const event = result.data?.reviewQueueChanged;
      if (!event) return;
      payload.variables.after = event.cursor;
      onQueueChanged(event);
    },
    error(error) {
      if (isForbidden(error)) signedOut(SESSION_ENDED);
      else $("live-state").textContent = "リアルタイム更新: 停止（ページを再読み込みしてください）";
    },
    complete() {},
  });
}

function stopLive() {
  const client = state.client;
  state.client = null;
  state.unsubscribe?.();
  state.unsubscribe = null;
  client?.dispose();
  $("live-state").textContent = "リアルタイム更新: 未接続";
}

// --- Start ---------------------------------------------------------------------------------------

async function start(known = null) {
  const viewer = known ?? (await graphql(VIEWER)).viewer;
  if (viewer?.portal !== "STAFF") {
    showLogin("職員のアカウントでログインしてください。");
    return;
  }
  const { eventCursor } = await graphql(EVENT_CURSOR);
  closeItem({ focus: false });
  resetSearch();
  await loadQueue();
  $("account-email").textContent = viewer.email;
  $("account-office").textContent = viewer.office?.name ?? "";
  $("notices").replaceChildren();
  $("login-error").textContent = "";
  show("counter");
  startLive(eventCursor);
  $("queue-title").focus();
}

async function main() {
  resetLogin = setUpLogin(
    "STAFF",
    { login: LOGIN, verifyOtp: VERIFY_OTP, logout: LOGOUT },
    { onSession: () => start(), onLogout: () => showLogin("ログアウトしました。") },
  );
  whenUnauthenticated(signedOut);
  setUpQueue({
    onOpen: (node) =>
      openItem(node).catch((error) => {
        $("item-meta").textContent = `読み込めませんでした: ${error.message}`;
      }),
  });
  setUpReview();
  setUpSearch();
  const { viewer } = await graphql(VIEWER);
  if (viewer?.portal === "STAFF") {
    await start(viewer);
  } else {
    showLogin(viewer ? "職員のアカウントでログインしてください。" : "");
  }
}

main().catch((error) => {
  show("login");
  $("login-error").textContent = `読み込みに失敗しました: ${error.message}`;
});
