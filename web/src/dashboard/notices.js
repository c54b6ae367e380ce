// ハローワークからのお知らせ: Hello Work's notices to the establishment, newest first, ten at a
// time (「さらに表示」 for older ones). A notice opens in place to show its body, the posting it
// is about and its due date, and is marked read (既読) as it opens; new notices arrive live
// (`noticeReceived`) at the top of the list and are announced in the お知らせ log.
//
// Unread notices say 「未読」 in words: the colour and the bar only repeat it.
import { $, announce, announceNow, dateElement, element, graphql, timeElement } from "./page.js";

// How many notices a page of the list holds (the HOME query's first page too).
export const NOTICE_PAGE_SIZE = 10;

const NOTICE_FIELDS = `id kind title body dueOn createdAt readAt
  posting { id postingNumber content { jobTitle } }`;

// The list's fields of a page of `helloWorkNotices`: the HOME query reads the first page with
// them, after `eventCursor`, so that a notice posted meanwhile is delivered live.
export const NOTICE_CONNECTION = `pageInfo { hasNextPage endCursor }
  edges { node { ${NOTICE_FIELDS} } }`;

const MORE_NOTICES = `query DashboardHelloWorkNotices($first: Int!, $after: String) {
  helloWorkNotices(first: $first, after: $after) { ${NOTICE_CONNECTION} }
}`;

const MARK_NOTICE_READ = `mutation DashboardHelloWorkNoticeMarkRead(
  $input: HelloWorkNoticeMarkReadInput!
) {
  helloWorkNoticeMarkRead(input: $input) { notices { ${NOTICE_FIELDS} } errors { code message } }
}`;

const UNREAD_NOTICES = `query DashboardUnreadNotices { employerHome { unreadNoticeCount } }`;

export const NOTICE_RECEIVED = `subscription DashboardNoticeReceived($after: String) {
  noticeReceived(after: $after) { cursor notice { ${NOTICE_FIELDS} } }
}`;

// The notices that change a posting: the page shows that posting again when one arrives.
const POSTING_NOTICES = new Set(["POSTING_ACCEPTED", "POSTING_RETURNED", "POSTING_CORRECTED"]);

const state = {
  onPostingNotice: () => {},
  // Every notice listed, by id: what the API last said of it.
  notices: new Map(),
  endCursor: null,
  loadingMore: false,
  marking: new Set(),
};

let serial = 0;

function postingLabel(posting) {
  const title = posting.content.jobTitle || "（職種未入力）";
  return posting.postingNumber ? `求人番号 ${posting.postingNumber} ${title}` : `求人 ${title}`;
}

// A notice once read stays read: its 「未読」 goes.
function showRead(item, notice) {
  if (!notice.readAt) return;
  item.classList.remove("unread-notice");
  item.querySelector(".notice-unread")?.remove();
}

function noticeItem(notice) {
  const item = element("li", undefined, "hw-notice");
  item.dataset.noticeId = notice.id;
  const detailId = `hw-notice-detail-${(serial += 1)}`;

  const button = element("button");
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", detailId);
  const meta = element("span", "受信 ", "meta");
  meta.append(timeElement(notice.createdAt));
  if (notice.dueOn) meta.append(" ・ 期限 ", dateElement(notice.dueOn));
  if (!notice.readAt) {
    item.classList.add("unread-notice");
    button.append(element("span", "未読", "unread notice-unread"));
  }
  button.append(element("span", notice.title, "label"), meta);

  const detail = element("div", undefined, "hw-notice-detail");
  detail.id = detailId;
  detail.hidden = true;
  detail.append(element("p", notice.body, "text"));
  if (notice.posting) {
    const about = element("p");
    about.append(element("strong", "対象の求人"), `：${postingLabel(notice.posting)}`);
    about.dataset.postingId = notice.posting.id;
    detail.append(about);
  }
  if (notice.dueOn) {
    const due = element("p", undefined, "notice-due");
    due.append(element("strong", "期限"), "：", dateElement(notice.dueOn));
    detail.append(due);
  }

  button.addEventListener("click", () => toggle(item, button, detail));
  item.append(button, detail);
  return item;
}

async function toggle(item, button, detail) {
  const opening = detail.hidden;
  detail.hidden = !opening;
  button.setAttribute("aria-expanded", String(opening));
  const notice = state.notices.get(item.dataset.noticeId);
  if (opening && notice && !notice.readAt) await markRead(notice);
}

async function markRead(notice) {
  if (state.marking.has(notice.id)) return;
  state.marking.add(notice.id);
  try {
    const { helloWorkNoticeMarkRead: payload } = await graphql(MARK_NOTICE_READ, {
      input: { ids: [notice.id] },
    });
    if (payload.errors.length) {
      announceNow(`お知らせを既読にできませんでした: ${payload.errors[0].message}`);
      return;
    }
    for (const marked of payload.notices) {
      state.notices.set(marked.id, marked);
      const item = itemOf(marked.id);
      if (item) showRead(item, marked);
    }
    await refreshUnreadNotices();
  } catch (error) {
    announceNow(`お知らせを既読にできませんでした: ${error.message}`);
  } finally {
    state.marking.delete(notice.id);
  }
}

function itemOf(id) {
  return $("hw-notices").querySelector(`li[data-notice-id="${CSS.escape(id)}"]`);
}

async function refreshUnreadNotices() {
  const { employerHome } = await graphql(UNREAD_NOTICES);
  $("notice-unread-count").textContent = String(employerHome.unreadNoticeCount);
}

// The notices not listed yet, as items (a notice both read and delivered is listed once).
function newItems(notices) {
  const items = [];
  for (const notice of notices) {
    if (state.notices.has(notice.id)) continue;
    state.notices.set(notice.id, notice);
    items.push(noticeItem(notice));
  }
  return items;
}

function showPaging(pageInfo) {
  state.endCursor = pageInfo.endCursor;
  $("hw-notices-more").hidden = !pageInfo.hasNextPage;
}

function showEmpty() {
  $("hw-notices-empty").hidden = state.notices.size > 0;
}

// The first page, as the HOME query read it.
export function resetNotices(connection) {
  state.notices = new Map();
  state.marking = new Set();
  $("hw-notices").replaceChildren(...newItems(connection.edges.map((edge) => edge.node)));
  showPaging(connection.pageInfo);
  showEmpty();
}

// 「さらに表示」: the next older page; the keyboard focus moves to the first notice it adds
// (the button itself goes when nothing older is left).
async function showMore() {
  if (state.loadingMore) return;
  state.loadingMore = true;
  try {
    const { helloWorkNotices } = await graphql(MORE_NOTICES, {
      first: NOTICE_PAGE_SIZE,
      after: state.endCursor,
    });
    const items = newItems(helloWorkNotices.edges.map((edge) => edge.node));
    $("hw-notices").append(...items);
    showPaging(helloWorkNotices.pageInfo);
    showEmpty();
    items[0]?.querySelector("button").focus();
  } catch (error) {
    announceNow(`お知らせを読み込めませんでした: ${error.message}`);
  } finally {
    state.loadingMore = false;
  }
}

export function onNoticeReceived({ notice }) {
  const [item] = newItems([notice]);
  if (!item) return;
  if (notice.posting && POSTING_NOTICES.has(notice.kind)) state.onPostingNotice(notice.posting);
  item.classList.add("fresh");
  $("hw-notices").prepend(item);
  showEmpty();
  announce(notice.createdAt, `ハローワークからのお知らせ: ${notice.title}`);
  refreshUnreadNotices().catch(() => {});
}

// `onPostingNotice(posting)`: staff accepted, returned or corrected that posting.
export function setUpNotices({ onPostingNotice } = {}) {
  if (onPostingNotice) state.onPostingNotice = onPostingNotice;
  $("hw-notices-more").addEventListener("click", showMore);
}
