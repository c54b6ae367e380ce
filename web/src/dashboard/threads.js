// メッセージ: the establishment's threads with seekers, latest activity first. A thread opens
// below the list with its history oldest → newest (sender, time, read state), twenty at a time
// (「以前のメッセージを表示」 for older ones), and a reply form. Opening a thread or replying
// in it marks the seeker's messages read (既読), as `messageMarkRead` does; a seeker's new
// message arrives live (`messageReceived`) at the top of the list and, when its thread is
// open, at the end of the history, and is announced in the お知らせ log.
//
// Bodies are plain text written with textContent, never parsed as HTML.
import { $, announce, announceNow, element, graphql, timeElement, userErrors } from "./page.js";

const SENDER = { EMPLOYER: "事業所", SEEKER: "求職者" };

// How many messages a page of a thread's history holds.
export const MESSAGE_PAGE_SIZE = 20;

// A body's limit, as `MessageSendInput.body` says (characters, once trimmed).
export const BODY_MAX_LENGTH = 2000;

export const THREAD_FIELDS = `id unreadCount lastMessageAt
  lastMessage { id body sender createdAt }
  counterpart { ... on MessageSeeker { id label } ... on MessageEstablishment { id name } }`;

const MESSAGE_FIELDS = `id body sender createdAt readAt`;

// The API pages a history newest first: `after` the last cursor reads older messages.
const MESSAGES = `query DashboardMessages($threadId: ID!, $first: Int!, $after: String) {
  messages(threadId: $threadId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${MESSAGE_FIELDS} } }
  }
}`;

const MARK_READ = `mutation DashboardMessageMarkRead($input: MessageMarkReadInput!) {
  messageMarkRead(input: $input) { thread { ${THREAD_FIELDS} } errors { code message } }
}`;

const SEND = `mutation DashboardMessageSend($input: MessageSendInput!) {
  messageSend(input: $input) {
    message { ${MESSAGE_FIELDS} thread { ${THREAD_FIELDS} } }
    errors { field code message }
  }
}`;

const UNREAD = `query DashboardUnread { employerHome { unreadMessageCount } }`;

export const MESSAGE_RECEIVED = `subscription DashboardMessageReceived($after: String) {
  messageReceived(after: $after) {
    cursor
    message { ${MESSAGE_FIELDS} thread { ${THREAD_FIELDS} } }
  }
}`;

const state = {
  // The open thread, as last read, or null.
  thread: null,
  // Where the older messages of the open thread start, if there are any.
  olderCursor: null,
  loadingOlder: false,
  sending: false,
  // Each opening counts up: an answer for a thread no longer open is dropped.
  opening: 0,
};

export const openThreadId = () => state.thread?.id ?? null;

function threadLabel(thread) {
  return thread.counterpart.label ?? thread.counterpart.name ?? "";
}

function threadItem(thread) {
  const button = element("button");
  button.type = "button";
  button.dataset.threadId = thread.id;
  button.setAttribute("aria-pressed", String(thread.id === openThreadId()));
  button.setAttribute("aria-controls", "thread");
  button.append(element("span", threadLabel(thread), "label"));
  if (thread.unreadCount > 0) {
    button.append(" ", element("span", `未読 ${thread.unreadCount} 件`, "unread"));
  }
  if (thread.lastMessage) {
    // Spaces between the parts: a screen reader and a copy read them as separate words.
    const meta = element("span", undefined, "meta");
    meta.append(timeElement(thread.lastMessage.createdAt), ` ${thread.lastMessage.body}`);
    button.append(" ", meta);
  }
  button.addEventListener("click", () =>
    openThread(thread).catch((error) =>
      announceNow(`メッセージを表示できませんでした: ${error.message}`),
    ),
  );
  const item = element("li");
  item.dataset.threadId = thread.id;
  item.append(button);
  return item;
}

function threadItemOf(threadId) {
  return $("threads").querySelector(`li[data-thread-id="${CSS.escape(threadId)}"]`);
}

// The thread's entry in the list, as `thread` says now; `toTop` moves it first (new activity).
function showThread(thread, { toTop = false, fresh = false } = {}) {
  const item = threadItem(thread);
  if (fresh) item.classList.add("fresh");
  const known = threadItemOf(thread.id);
  if (known && !toTop) {
    known.replaceWith(item);
  } else {
    known?.remove();
    $("threads").prepend(item);
  }
  $("threads-empty").hidden = true;
}

// The read state in words: of the employer's own messages whether the seeker read them, of
// the seeker's whether this establishment did.
function readState(message) {
  if (message.sender === "EMPLOYER") return message.readAt ? "相手が既読" : "相手は未読";
  return message.readAt ? "既読" : "未読";
}

function messageItem(message) {
  const item = element(
    "li",
    undefined,
    message.sender === "EMPLOYER" ? "from-employer" : "from-seeker",
  );
  item.dataset.messageId = message.id;
  item.dataset.sender = message.sender;
  item.tabIndex = -1;
  const meta = element("span", undefined, "meta");
  meta.append(
    element("span", SENDER[message.sender] ?? message.sender, "sender"),
    " ・ ",
    timeElement(message.createdAt),
    " ・ ",
    element("span", readState(message), message.readAt ? "read-state" : "read-state not-read"),
  );
  item.append(meta, element("span", message.body, "body"));
  return item;
}

// The seeker's messages shown as read once this establishment marked them so.
function showSeekerMessagesRead() {
  for (const mark of $("messages").querySelectorAll('li[data-sender="SEEKER"] .not-read')) {
    mark.textContent = "既読";
    mark.classList.remove("not-read");
  }
}

function showOlderButton() {
  $("messages-older").hidden = !state.olderCursor;
}

async function readPage(threadId, after) {
  const { messages } = await graphql(MESSAGES, {
    threadId,
    first: MESSAGE_PAGE_SIZE,
    after,
  });
  if (!messages) throw new Error("スレッドが見つかりません。");
  return {
    // Newest first from the API; a conversation reads oldest first.
    items: messages.edges.map((edge) => messageItem(edge.node)).reverse(),
    olderCursor: messages.pageInfo.hasNextPage ? messages.pageInfo.endCursor : null,
  };
}

async function markRead(thread) {
  if (thread.unreadCount === 0) return thread;
  const { messageMarkRead: payload } = await graphql(MARK_READ, {
    input: { threadId: thread.id },
  });
  if (payload.errors.length) {
    announceNow(`既読にできませんでした: ${userErrors(payload.errors)}`);
    return thread;
  }
  if (thread.id === openThreadId()) showSeekerMessagesRead();
  await refreshUnread();
  return payload.thread ?? { ...thread, unreadCount: 0 };
}

export async function openThread(thread) {
  const opening = (state.opening += 1);
  const page = await readPage(thread.id, null);
  if (opening !== state.opening) return;
  state.thread = thread;
  state.olderCursor = page.olderCursor;
  for (const button of $("threads").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.threadId === thread.id));
  }
  const form = $("reply-form");
  if (form.dataset.threadId !== thread.id) {
    form.reset();
    clearErrors();
    showLength();
  }
  form.dataset.threadId = thread.id;
  $("thread-title").textContent = `${threadLabel(thread)} とのメッセージ`;
  $("messages").replaceChildren(...page.items);
  showOlderButton();
  $("thread").hidden = false;
  $("thread-title").focus();
  const read = await markRead(thread);
  if (opening === state.opening) {
    state.thread = read;
    showThread(read);
  }
}

// 「以前のメッセージを表示」: the next older page above; the focus moves to the newest of
// them (the button goes when nothing older is left).
async function showOlder() {
  const thread = state.thread;
  if (state.loadingOlder || !thread || !state.olderCursor) return;
  state.loadingOlder = true;
  try {
    const page = await readPage(thread.id, state.olderCursor);
    if (thread.id !== openThreadId()) return;
    // A message both in this page and already shown (a live one) is shown once.
    const items = page.items.filter(
      (item) =>
        !$("messages").querySelector(`li[data-message-id="${CSS.escape(item.dataset.messageId)}"]`),
    );
    $("messages").prepend(...items);
    state.olderCursor = page.olderCursor;
    showOlderButton();
    announceNow(`以前のメッセージを ${items.length} 件表示しました`);
    items.at(-1)?.focus();
  } catch (error) {
    announceNow(`以前のメッセージを読み込めませんでした: ${error.message}`);
  } finally {
    state.loadingOlder = false;
  }
}

// --- The reply ---------------------------------------------------------------------------------

const bodyLength = (text) => [...text.trim()].length;

function showLength() {
  const length = bodyLength($("reply-body").value);
  const counter = $("reply-length");
  counter.textContent = `${length} / ${BODY_MAX_LENGTH} 文字`;
  counter.classList.toggle("error", length > BODY_MAX_LENGTH);
}

function clearErrors() {
  $("reply-form-errors").textContent = "";
  $("reply-body").removeAttribute("aria-invalid");
}

function showErrors(errors) {
  $("reply-form-errors").textContent = userErrors(errors);
  if (errors.some((error) => error.field === "body" || !error.field))
    $("reply-body").setAttribute("aria-invalid", "true");
}

// The submit button stays enabled while it works (disabling it would take the keyboard focus
// away); a second press waits.
async function submitReply(event) {
  event.preventDefault();
  const thread = state.thread;
  if (state.sending || !thread) return;
  state.sending = true;
  clearErrors();
  try {
    const { messageSend: payload } = await graphql(SEND, {
      input: { threadId: thread.id, body: $("reply-body").value },
    });
    if (payload.errors.length) {
      showErrors(payload.errors);
      $("reply-body").focus();
      return;
    }
    const { message } = payload;
    if (thread.id === openThreadId()) {
      const entry = messageItem(message);
      entry.classList.add("fresh");
      $("messages").append(entry);
      $("reply-body").value = "";
      showLength();
    }
    announceNow(`${threadLabel(thread)} さんにメッセージを送信しました`);
    // Replying is reading: what the seeker wrote is marked read, as opening does.
    const read = await markRead(message.thread);
    if (read.id === openThreadId()) state.thread = read;
    showThread(read, { toTop: true });
  } catch (error) {
    showErrors([{ message: error.message }]);
  } finally {
    state.sending = false;
  }
}

// Ctrl+Enter (⌘+Enter) in the reply sends it, as a mail program does.
function replyKey(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    $("reply-form").requestSubmit();
  }
}

// --- Live and start -------------------------------------------------------------------------

async function refreshUnread() {
  const { employerHome } = await graphql(UNREAD);
  $("unread-count").textContent = String(employerHome.unreadMessageCount);
}

export function onMessage({ message }) {
  const { thread } = message;
  if (thread.id === openThreadId()) {
    state.thread = thread;
    if (!$("messages").querySelector(`li[data-message-id="${CSS.escape(message.id)}"]`)) {
      const entry = messageItem(message);
      entry.classList.add("fresh");
      $("messages").append(entry);
    }
  }
  showThread(thread, { toTop: true, fresh: true });
  announce(message.createdAt, `新着メッセージ（${threadLabel(thread)}）: ${message.body}`);
  refreshUnread().catch(() => {});
}

// The first page of threads, as the page read it with the home figures; no thread open.
export function resetThreads(connection) {
  state.thread = null;
  state.olderCursor = null;
  state.opening += 1;
  const threads = connection.edges.map((edge) => edge.node);
  $("threads-empty").hidden = threads.length > 0;
  $("threads").replaceChildren(...threads.map(threadItem));
  $("thread").hidden = true;
  $("messages").replaceChildren();
  $("reply-form").reset();
  delete $("reply-form").dataset.threadId;
  clearErrors();
  showLength();
}

export function setUpThreads() {
  $("thread-title").tabIndex = -1;
  $("messages-older").addEventListener("click", showOlder);
  $("reply-form").addEventListener("submit", submitReply);
  $("reply-body").addEventListener("input", showLength);
  $("reply-body").addEventListener("keydown", replyKey);
}
