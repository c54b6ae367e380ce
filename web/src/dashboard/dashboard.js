// The employer dashboard (求人者ダッシュボード): log in with the password and the mailed
// one-time password, see the home figures, every posting with its check and printed 求人票, the
// applicants of a posting (applicants.js), the message threads and Hello Work's notices
// (notices.js), and receive new messages, status changes, interviews and notices live over
// graphql-transport-ws.
//
// The session is the HttpOnly cookie the API sets at login: this script never sees the token.
// The WebSocket carries the cookie too.
import { createClient } from "graphql-ws";

import {
  APPLICATION_COUNTS,
  INTERVIEW_CHANGED,
  STATUS_CHANGED,
  onInterviewChange,
  onStatusChange,
  refreshReportsDue,
  resetApplicants,
  selectPosting,
  selectedPostingId,
  setUpApplicants,
  showApplicantCounts,
} from "./applicants.js";
import "./dashboard.css";
import { setUpLogin } from "./login.js";
import {
  NOTICE_CONNECTION,
  NOTICE_PAGE_SIZE,
  NOTICE_RECEIVED,
  onNoticeReceived,
  resetNotices,
  setUpNotices,
} from "./notices.js";
import {
  $,
  announceNow,
  dateElement,
  element,
  graphql,
  isSameOrigin,
  whenUnauthenticated,
} from "./page.js";
import {
  MESSAGE_RECEIVED,
  THREAD_FIELDS,
  onMessage,
  resetThreads,
  setUpThreads,
} from "./threads.js";

const CATEGORY = {
  GENERAL: "一般",
  GRADUATE: "学卒",
  SEASONAL: "季節",
  MIGRANT: "出稼ぎ",
  DISABILITY: "障害者",
};
const POSTING_STATUS = {
  DRAFT: "一時保存",
  SUBMITTED: "仮登録",
  ACTIVE: "受理",
  RETURNED: "修正依頼",
  INVALID: "無効",
};

// The WebSocket close code of a missing or ended session.
const FORBIDDEN = 4403;

const VIEWER = `query DashboardViewer { viewer { id portal email } }`;

const LOGIN = `mutation DashboardLogin($input: LoginInput!) {
  login(input: $input) { session { expiresAt } otpChallenge { id } errors { code message } }
}`;

const VERIFY_OTP = `mutation DashboardLoginVerifyOtp($input: LoginVerifyOtpInput!) {
  loginVerifyOtp(input: $input) { session { expiresAt } errors { code message } }
}`;

const LOGOUT = `mutation DashboardLogout { logout { errors { code message } } }`;

const HOME_FIELDS = `establishmentName officeName unreadMessageCount unreadNoticeCount
  activePostings { category postingCount hiringCount }
  allActivePostings(first: 50) {
    edges { node { id postingNumber referralDeadline content { jobTitle numberToHire } } }
  }`;

// `eventCursor` first: the subscriptions start from it, so nothing that happens after the page
// read its data is missed (at worst something is both read and delivered, which is harmless).
const HOME = `query DashboardHome($noticesFirst: Int!) {
  eventCursor
  viewer { id email }
  employerHome { ${HOME_FIELDS} }
  ${APPLICATION_COUNTS}
  messageThreads(first: 30) { edges { node { ${THREAD_FIELDS} } } }
  helloWorkNotices(first: $noticesFirst) { ${NOTICE_CONNECTION} }
}`;

// After a posting stopped recruiting or staff accepted one: the figures, the active postings
// and their applicants again.
const HOME_AGAIN = `query DashboardHomeAgain {
  employerHome { ${HOME_FIELDS} }
  ${APPLICATION_COUNTS}
}`;

// A posting with the check of what staff would review (by today's rules) and its printed 求人票.
const POSTING_CHECK_FIELDS = `id status postingNumber kyujinhyoPdfUrl
  content { jobTitle }
  counterRegistration { dueOn confirmedAt }
  check { checkedOn errors { field code message } warnings { field code message } }`;

// Every posting of the establishment, newest first. Named, so the server's log lines tell it
// apart.
const POSTING_CHECKS = `query DashboardPostingChecks {
  postings(first: 50) {
    pageInfo { hasNextPage }
    edges { node { ${POSTING_CHECK_FIELDS} } }
  }
}`;

// One posting again, when Hello Work's notice says staff accepted, returned or corrected it.
const POSTING_CHECK = `query DashboardPostingCheck($id: ID!) {
  node(id: $id) { id ... on Posting { ${POSTING_CHECK_FIELDS} } }
}`;

// Set up by main(): back to the login form's first step.
let resetLogin = () => {};

const state = {
  client: null,
  unsubscribe: [],
  refreshingChecks: false,
};

function show(view) {
  $("login").hidden = view !== "login";
  $("dashboard").hidden = view !== "dashboard";
  $("account").hidden = view !== "dashboard";
}

// --- Login ------------------------------------------------------------------------------------

function showLogin(message = "") {
  stopLive();
  resetLogin(message);
  show("login");
  $("email").focus();
}

function signedOut(message) {
  if (!$("dashboard").hidden) showLogin(message);
}

// --- Home, postings, applicants ------------------------------------------------------------------

function renderHome(home) {
  $("establishment-name").textContent = home.establishmentName;
  $("office-name").textContent = home.officeName;
  $("unread-count").textContent = String(home.unreadMessageCount);
  $("notice-unread-count").textContent = String(home.unreadNoticeCount);
  $("category-summary").replaceChildren(
    ...home.activePostings.map((summary) => {
      const row = element("tr");
      row.append(
        element("th", CATEGORY[summary.category] ?? summary.category),
        element("td", `${summary.postingCount} 件`),
        element("td", `${summary.hiringCount} 人`),
      );
      row.firstChild.scope = "row";
      return row;
    }),
  );
  const postings = home.allActivePostings.edges.map((edge) => edge.node);
  $("postings-empty").hidden = postings.length > 0;
  $("postings").replaceChildren(
    ...postings.map((posting) => {
      const button = element("button", `${posting.postingNumber} ${posting.content.jobTitle}`);
      button.type = "button";
      button.dataset.postingId = posting.id;
      button.setAttribute("aria-pressed", String(posting.id === selectedPostingId()));
      button.setAttribute("aria-controls", "applicants-panel");
      button.addEventListener("click", () => selectPosting(posting));
      const facts = element("span", " 紹介期限日 ", "meta");
      facts.append(
        dateElement(posting.referralDeadline),
        ` ・ 採用予定 ${posting.content.numberToHire} 人 ・ `,
        // Filled in by showApplicantCounts, and kept up to date as applications arrive.
        element("span", "応募者 … 人", "applicant-count"),
      );
      const item = element("li");
      item.dataset.postingId = posting.id;
      item.append(button, facts);
      return item;
    }),
  );
}

// --- Postings: their check and printed 求人票 ----------------------------------------------------

function checkItem(kind, label, item) {
  const entry = element("li", undefined, `check-${kind}`);
  entry.dataset.code = item.code;
  entry.append(element("strong", label, "check-label"), `：${item.message}`);
  return entry;
}

function postingCheckItem(posting) {
  const title = posting.content.jobTitle || "（職種未入力）";
  const { check, counterRegistration } = posting;
  const item = element("li", undefined, "posting-check");
  item.dataset.postingId = posting.id;

  const facts = [`状態：${POSTING_STATUS[posting.status] ?? posting.status}`];
  if (posting.postingNumber) facts.push(`求人番号 ${posting.postingNumber}`);
  item.append(element("h3", title), element("p", facts.join(" ・ "), "meta"));

  const summary = element("p", undefined, "check-summary");
  const day = dateElement(check.checkedOn);
  summary.append(
    "確認結果（",
    day,
    check.errors.length || check.warnings.length
      ? `時点）：エラー ${check.errors.length} 件 ・ 警告 ${check.warnings.length} 件`
      : "時点）：エラー・警告はありません",
  );
  item.append(summary);
  if (check.errors.length || check.warnings.length) {
    const list = element("ul", undefined, "check-items");
    list.setAttribute("aria-label", `${title} のエラーと警告`);
    list.append(
      ...check.errors.map((error) => checkItem("error", "エラー", error)),
      ...check.warnings.map((warning) => checkItem("warning", "警告", warning)),
    );
    item.append(list);
  }

  if (counterRegistration && !counterRegistration.confirmedAt) {
    const due = dateElement(counterRegistration.dueOn);
    const note = element("p", undefined, "counter-due");
    note.append(
      element("strong", "本登録の期限"),
      "：",
      due,
      "（この日までにハローワークの窓口で本登録してください。過ぎると一時保存に戻ります）",
    );
    item.append(note);
  }

  if (isSameOrigin(posting.kyujinhyoPdfUrl)) {
    const link = element("a", "求人票（PDF）", "pdf-link");
    link.href = posting.kyujinhyoPdfUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.append(element("span", `：${title}（新しいタブで開きます）`, "visually-hidden"));
    const line = element("p");
    line.append(link);
    item.append(line);
  }
  return item;
}

function renderPostingChecks(connection) {
  const postings = connection.edges.map((edge) => edge.node);
  $("posting-checks-empty").hidden = postings.length > 0;
  $("posting-checks-more").hidden = !connection.pageInfo.hasNextPage;
  $("posting-checks").replaceChildren(...postings.map(postingCheckItem));
  return postings.length;
}

async function loadPostingChecks() {
  const { postings } = await graphql(POSTING_CHECKS);
  return renderPostingChecks(postings);
}

// The button stays enabled while it works: disabling it would take the keyboard focus away.
async function refreshPostingChecks() {
  if (state.refreshingChecks) return;
  state.refreshingChecks = true;
  try {
    const count = await loadPostingChecks();
    announceNow(`求人の確認結果を更新しました（${count} 件）`);
  } catch (error) {
    announceNow(`求人の確認結果を更新できませんでした: ${error.message}`);
  } finally {
    state.refreshingChecks = false;
  }
}

// Hello Work's notice that staff accepted, returned or corrected a posting: that posting's
// status and check again, and the active postings with it (an accepted one joins them).
async function onPostingNotice(posting) {
  const [{ node }] = await Promise.all([graphql(POSTING_CHECK, { id: posting.id }), refreshHome()]);
  if (!node) return;
  const fresh = postingCheckItem(node);
  fresh.classList.add("fresh");
  const known = $("posting-checks").querySelector(`li[data-posting-id="${CSS.escape(node.id)}"]`);
  if (known) known.replaceWith(fresh);
  else $("posting-checks").prepend(fresh);
  $("posting-checks-empty").hidden = true;
}

// --- Live updates --------------------------------------------------------------------------------

function isForbidden(error) {
  if (error?.code === FORBIDDEN) return true;
  return Array.isArray(error) && error.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}

function subscribe(client, query, field, handle, after) {
  // graphql-ws sends this same payload again when it reconnects: keeping the cursor of the
  // last delivery in it makes the server replay, in order, whatever came while away.
  const payload = { query, variables: { after } };
  return client.subscribe(payload, {
    next(result) {
      const event = result.data?.[field];
      if (!event) return;
      payload.variables.after = event.cursor;
      handle(event);
    },
    error(error) {
      if (isForbidden(error)) {
        signedOut("セッションが終了しました。もう一度ログインしてください。");
      } else {
        $("live-state").textContent = "リアルタイム更新: 停止（ページを再読み込みしてください）";
      }
    },
    complete() {},
  });
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
    if (event?.code === FORBIDDEN)
      signedOut("セッションが終了しました。もう一度ログインしてください。");
  });
  state.client = client;
  state.unsubscribe = [
    subscribe(client, MESSAGE_RECEIVED, "messageReceived", onMessage, after),
    subscribe(client, STATUS_CHANGED, "applicationStatusChanged", onStatusChange, after),
    subscribe(client, INTERVIEW_CHANGED, "interviewChanged", onInterviewChange, after),
    subscribe(client, NOTICE_RECEIVED, "noticeReceived", onNoticeReceived, after),
  ];
}

function stopLive() {
  const client = state.client;
  state.client = null;
  for (const unsubscribe of state.unsubscribe) unsubscribe();
  state.unsubscribe = [];
  client?.dispose();
  $("live-state").textContent = "リアルタイム更新: 未接続";
}

// --- Start ---------------------------------------------------------------------------------------

async function refreshHome() {
  const { employerHome, applicationCounts } = await graphql(HOME_AGAIN);
  renderHome(employerHome);
  showApplicantCounts(applicationCounts);
}

async function start() {
  resetApplicants();
  const [data] = await Promise.all([
    graphql(HOME, { noticesFirst: NOTICE_PAGE_SIZE }),
    loadPostingChecks(),
    refreshReportsDue(),
  ]);
  $("account-email").textContent = data.viewer.email;
  renderHome(data.employerHome);
  showApplicantCounts(data.applicationCounts);
  resetThreads(data.messageThreads);
  resetNotices(data.helloWorkNotices);
  $("notices").replaceChildren();
  $("login-error").textContent = "";
  show("dashboard");
  startLive(data.eventCursor);
  $("home-title").focus();
}

async function main() {
  resetLogin = setUpLogin(
    "EMPLOYER",
    { login: LOGIN, verifyOtp: VERIFY_OTP, logout: LOGOUT },
    { onSession: () => start(), onLogout: () => showLogin("ログアウトしました。") },
  );
  $("posting-checks-refresh").addEventListener("click", refreshPostingChecks);
  setUpNotices({
    onPostingNotice: (posting) =>
      onPostingNotice(posting).catch((error) =>
        announceNow(`求人の状態を更新できませんでした: ${error.message}`),
      ),
  });
  setUpThreads();
  $("home-title").tabIndex = -1;
  whenUnauthenticated(signedOut);
  setUpApplicants({ onPostingStopped: () => Promise.all([refreshHome(), loadPostingChecks()]) });
  const { viewer } = await graphql(VIEWER);
  if (viewer?.portal === "EMPLOYER") {
    await start();
  } else {
    showLogin(viewer ? "求人者のアカウントでログインしてください。" : "");
  }
}

main().catch((error) => {
  show("login");
  $("login-error").textContent = `読み込みに失敗しました: ${error.message}`;
});
