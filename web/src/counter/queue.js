// The review queue (審査待ち) of the staff member's office, oldest first: the first page read at
// the start, further pages on request (さらに表示), and the items that arrive or go live, each
// put in its place or taken out. Opening an item is review.js's.
import { $, announceNow, element, graphql, timeElement } from "../dashboard/page.js";
import { establishmentName, itemTitle, kindLabel, rank } from "./labels.js";

export const PAGE_SIZE = 20;

// What the list shows of each item; review.js reads the rest when one is opened.
const POSTING_ROW = `id status postingNumber submittedAt changeRequestedAt renewalReservedAt
  renewalAcceptedAt
  establishment { id establishmentNumber name }
  content { jobTitle } pendingContent { jobTitle } renewalContent { jobTitle }`;

export const QUEUE_ITEM = `__typename
  ... on Posting { ${POSTING_ROW} }
  ... on EstablishmentImage { id caption uploadedAt establishment { id establishmentNumber name } }
  ... on EstablishmentChange { id requestedAt establishment { id establishmentNumber name } }
  ... on EstablishmentPreRegistration { id receiptNumber name verifiedAt }`;

const QUEUE = `query CounterReviewQueue($first: Int!, $after: String) {
  reviewQueue(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor waitingSince node { ${QUEUE_ITEM} } }
  }
}`;

const state = {
  // The items shown, oldest first: { node, waitingSince }.
  entries: [],
  endCursor: null,
  hasNextPage: false,
  loadingMore: false,
  openId: null,
  onOpen: () => {},
};

const byId = (id) => state.entries.find((entry) => entry.node.id === id);

export const queuedNode = (id) => byId(id)?.node ?? null;

function before(a, b) {
  const at = Date.parse(a.waitingSince) - Date.parse(b.waitingSince);
  if (at !== 0) return at < 0;
  return rank(a.node) < rank(b.node);
}

function queueItem(entry) {
  const { node } = entry;
  const button = element("button");
  button.type = "button";
  button.dataset.itemId = node.id;
  button.setAttribute("aria-pressed", String(node.id === state.openId));
  button.append(
    element("span", kindLabel(node), "kind"),
    " ",
    element("span", establishmentName(node), "establishment"),
    " ",
    element("span", itemTitle(node), "title"),
  );
  const since = element("span", "待機開始 ", "meta");
  since.append(timeElement(entry.waitingSince));
  button.append(since);
  button.addEventListener("click", () => state.onOpen(node));
  const item = element("li");
  item.dataset.itemId = node.id;
  item.append(button);
  return item;
}

function rowOf(id) {
  return $("queue").querySelector(`li[data-item-id="${CSS.escape(id)}"]`);
}

function refreshEmpty() {
  $("queue-empty").hidden = state.entries.length > 0;
  $("queue-more").hidden = !state.hasNextPage;
}

function append(edges) {
  for (const edge of edges) {
    if (byId(edge.node.id)) continue;
    const entry = { node: edge.node, waitingSince: edge.waitingSince };
    state.entries.push(entry);
    $("queue").append(queueItem(entry));
  }
}

async function readPage(after) {
  const { reviewQueue } = await graphql(QUEUE, { first: PAGE_SIZE, after });
  state.endCursor = reviewQueue.pageInfo.endCursor ?? state.endCursor;
  state.hasNextPage = reviewQueue.pageInfo.hasNextPage;
  append(reviewQueue.edges);
  refreshEmpty();
  return reviewQueue.edges.length;
}

export async function loadQueue() {
  state.entries = [];
  state.endCursor = null;
  $("queue").replaceChildren();
  await readPage(null);
}

// The button stays where it is and keeps the focus while the next page is read.
async function loadMore() {
  if (state.loadingMore || !state.hasNextPage) return;
  state.loadingMore = true;
  const shown = state.entries.length;
  try {
    await readPage(state.endCursor);
    // The first item of the new page takes the focus; the button may be gone now.
    const next = state.entries[shown];
    if (next) rowOf(next.node.id)?.querySelector("button").focus();
  } finally {
    state.loadingMore = false;
  }
}

// An item that started waiting (or waits again): in its place, oldest first. One beyond the
// pages read comes with the next page instead. True when it is shown.
export function addItem(node, since) {
  const entry = { node, waitingSince: since };
  const known = byId(node.id);
  if (known) {
    known.node = node;
    rowOf(node.id)?.replaceWith(queueItem(known));
    return true;
  }
  const index = state.entries.findIndex((other) => before(entry, other));
  if (index === -1 && state.hasNextPage) return false;
  const row = queueItem(entry);
  row.classList.add("fresh");
  if (index === -1) {
    state.entries.push(entry);
    $("queue").append(row);
  } else {
    rowOf(state.entries[index].node.id).before(row);
    state.entries.splice(index, 0, entry);
  }
  refreshEmpty();
  return true;
}

// An item that no longer waits; the node it was, or null when it was not shown.
export function removeItem(id) {
  const index = state.entries.findIndex((entry) => entry.node.id === id);
  if (index === -1) return null;
  const [entry] = state.entries.splice(index, 1);
  const row = rowOf(id);
  const hadFocus = row?.contains(document.activeElement);
  row?.remove();
  refreshEmpty();
  if (hadFocus) focusQueue(index);
  return entry.node;
}

// The keyboard focus back in the list: on the item now at `index` (the one after an item
// taken out), else the last, else the list's heading.
export function focusQueue(index = 0) {
  const entry = state.entries[Math.min(index, state.entries.length - 1)];
  const button = entry && rowOf(entry.node.id)?.querySelector("button");
  if (button) button.focus();
  else $("queue-title").focus();
}

export const indexOf = (id) => state.entries.findIndex((entry) => entry.node.id === id);

export function markOpen(id) {
  state.openId = id;
  for (const button of $("queue").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.itemId === id));
  }
}

export function setUpQueue({ onOpen }) {
  state.onOpen = onOpen;
  $("queue-title").tabIndex = -1;
  $("queue-more").addEventListener("click", () =>
    loadMore().catch((error) => announceNow(`審査待ちを読み込めませんでした: ${error.message}`)),
  );
}
