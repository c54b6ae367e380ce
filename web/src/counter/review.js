// One item of the queue, opened: a posting as its printed 求人票 shows it (the eight sections,
// their key items, the link to the PDF), its check and history; an image; an establishment's
// profile change; and the forms that settle it (受理 / 修正依頼, 承認 / 差戻し). When a colleague
// settles it first, the page says so and the forms go.
import {
  $,
  announceNow,
  element,
  formatDate,
  graphql,
  isSameOrigin,
  timeElement,
  userErrors,
} from "../dashboard/page.js";
import {
  ACTOR,
  CHOICES,
  COUNTER_REGISTRATION_REASON,
  IMAGE_FORMAT,
  POSTING_ACTION,
  POSTING_STATUS,
  UNITS,
  itemLabel,
  postingWait,
  reviewedContent,
} from "./labels.js";
import { focusQueue, indexOf, markOpen, removeItem } from "./queue.js";

// The items of the posting form shown here, in the form's order; the labels are the form's own
// (`postingForm`), the rest is in the PDF.
const CONTENT_FIELDS = `category workStyle employmentType publicationRange businessContent
  companyFeatures workplaceEmployees jobTitle jobDescription workplacePostalCode workplacePrefecture
  workplaceAddress nearestStation employmentPeriod employmentPeriodDetail numberToHire
  requiredExperience requiredLicenses wageForm baseWageMin baseWageMax allowances payDay
  workingHours breakMinutes hasOvertime overtimeDetail annualHolidays weeklyTwoDaysOff
  holidaysDetail insurance retirementAge specialNotes pr selectionMethod documents contact`;

const KEY_FIELDS = CONTENT_FIELDS.split(/\s+/);

// What the printed 求人票 shows when the posting leaves an item empty: the establishment's own.
const ESTABLISHMENT_DEFAULTS = { businessContent: "businessContent", companyFeatures: "features" };

const PROFILE_LABELS = {
  name: "事業所名",
  nameKana: "事業所名（フリガナ）",
  postalCode: "郵便番号",
  address: "所在地",
  phoneNumber: "電話番号",
  businessContent: "事業内容",
  features: "会社の特長",
  representativeTitle: "代表者の役職",
  representativeName: "代表者名",
  employeeCount: "従業員数（企業全体）",
  workplaceEmployeeCount: "従業員数（就業場所）",
  foundedYear: "設立年",
  capitalYen: "資本金",
  website: "ホームページ",
  notificationEmail: "通知先メールアドレス",
};

const PROFILE_FIELDS = `name nameKana postalCode address phoneNumber businessContent features
  representativeTitle representativeName employeeCount workplaceEmployeeCount foundedYear
  capitalYen website notificationEmail`;

const POSTING_FORM = `query CounterPostingForm {
  postingForm { section number title items { field label } }
}`;

const POSTING_DETAIL = `id status postingNumber submittedAt changeRequestedAt renewalReservedAt
  renewalAcceptedAt acceptedAt returnReason kyujinhyoPdfUrl enteredByStaff
  establishment {
    id establishmentNumber name nameKana postalCode address phoneNumber businessContent features
  }
  content { ${CONTENT_FIELDS} }
  pendingContent { ${CONTENT_FIELDS} }
  renewalContent { ${CONTENT_FIELDS} }
  counterRegistration { reasons dueOn confirmedAt }
  check { errors { field code message } warnings { field code message } }
  history {
    action actorPortal fromStatus toStatus reason at
    changes { field label before after }
  }`;

const ITEM = `query CounterReviewItem($id: ID!) {
  node(id: $id) {
    __typename
    ... on Posting { ${POSTING_DETAIL} }
    ... on EstablishmentImage {
      id caption reviewStatus: status format width height sizeBytes uploadedAt
      establishment { id establishmentNumber name }
    }
    ... on EstablishmentChange {
      id reviewStatus: status requestedAt
      proposed { ${PROFILE_FIELDS} }
      establishment { id establishmentNumber ${PROFILE_FIELDS} }
    }
    ... on EstablishmentPreRegistration {
      id entryStatus: status receiptNumber name nameKana postalCode prefecture city street
      phoneNumber industry employeeCount representativeTitle representativeName contactName
      contactDepartment contactPhone email createdAt verifiedAt
    }
  }
}`;

const POSTING_ACCEPT = `mutation CounterPostingAccept($input: PostingAcceptInput!) {
  postingAccept(input: $input) { posting { id status postingNumber } errors { field code message } }
}`;

const POSTING_RETURN = `mutation CounterPostingReturn($input: PostingReturnInput!) {
  postingReturn(input: $input) { posting { id status } errors { field code message } }
}`;

const COUNTER_CONFIRM = `mutation CounterPostingCounterConfirm(
  $input: PostingCounterConfirmInput!
) {
  postingCounterConfirm(input: $input) {
    posting { id counterRegistration { reasons dueOn confirmedAt } }
    errors { field code message }
  }
}`;

const ESTABLISHMENT_CONFIRM = `mutation CounterEstablishmentConfirm(
  $input: EstablishmentConfirmInput!
) {
  establishmentConfirm(input: $input) {
    establishment { id establishmentNumber }
    preRegistration { id status }
    errors { field code message }
  }
}`;

const PRE_REGISTRATION_REFUSE = `mutation CounterPreRegistrationRefuse(
  $input: EstablishmentPreRegistrationRefuseInput!
) {
  establishmentPreRegistrationRefuse(input: $input) {
    preRegistration { id status }
    errors { field code message }
  }
}`;

const IMAGE_REVIEW = `mutation CounterImageReview($input: ImageReviewInput!) {
  imageReview(input: $input) { image { id status } errors { field code message } }
}`;

const CHANGE_REVIEW = `mutation CounterEstablishmentChangeReview(
  $input: EstablishmentChangeReviewInput!
) {
  establishmentChangeReview(input: $input) { change { id status } errors { field code message } }
}`;

// What each kind of item is settled with: the two forms' words and the mutations behind them,
// which answer the payload's errors and what to add to the announcement.
const REVIEWS = {
  Posting: {
    acceptText: "受理",
    noteLabel: (posting) =>
      posting.enteredByStaff ? "確認メモ（必須：職員が入力した求人）" : "確認メモ（任意）",
    returnText: "修正依頼",
    reasonLabel: "修正依頼の理由（必須）",
    async accept(posting, note) {
      const input = { id: posting.id, note };
      const { postingAccept } = await graphql(POSTING_ACCEPT, { input });
      const number = postingAccept.posting?.postingNumber;
      return { errors: postingAccept.errors, outcome: number ? `（求人番号 ${number}）` : "" };
    },
    async ret(posting, reason) {
      const input = { id: posting.id, reason };
      return { errors: (await graphql(POSTING_RETURN, { input })).postingReturn.errors };
    },
  },
  EstablishmentImage: {
    acceptText: "承認",
    noteLabel: () => "メモ（任意）",
    returnText: "差戻し",
    reasonLabel: "差戻しの理由（必須）",
    async accept(image, note) {
      const input = { imageId: image.id, approve: true, reason: note || null };
      return { errors: (await graphql(IMAGE_REVIEW, { input })).imageReview.errors };
    },
    async ret(image, reason) {
      const input = { imageId: image.id, approve: false, reason };
      return { errors: (await graphql(IMAGE_REVIEW, { input })).imageReview.errors };
    },
  },
  EstablishmentChange: {
    acceptText: "承認",
    noteLabel: () => "メモ（任意）",
    returnText: "差戻し",
    reasonLabel: "差戻しの理由（必須）",
    async accept(change, note) {
      const input = { changeId: change.id, approve: true, reason: note };
      const { establishmentChangeReview } = await graphql(CHANGE_REVIEW, { input });
      return { errors: establishmentChangeReview.errors };
    },
    async ret(change, reason) {
      const input = { changeId: change.id, approve: false, reason };
      const { establishmentChangeReview } = await graphql(CHANGE_REVIEW, { input });
      return { errors: establishmentChangeReview.errors };
    },
  },
  EstablishmentPreRegistration: {
    acceptText: "本登録",
    noteLabel: () => "確認した内容（電話で確認した相手など）",
    returnText: "登録をお断り",
    reasonLabel: "お断りの理由（必須・メールで通知されます）",
    async accept(entry, note) {
      const input = { preRegistrationId: entry.id, note };
      const { establishmentConfirm } = await graphql(ESTABLISHMENT_CONFIRM, { input });
      const number = establishmentConfirm.establishment?.establishmentNumber;
      return {
        errors: establishmentConfirm.errors,
        outcome: number ? `（事業所番号 ${number}）` : "",
      };
    },
    async ret(entry, reason) {
      const input = { preRegistrationId: entry.id, reason };
      const { establishmentPreRegistrationRefuse } = await graphql(PRE_REGISTRATION_REFUSE, {
        input,
      });
      return { errors: establishmentPreRegistrationRefuse.errors };
    },
  },
};

const state = {
  node: null,
  form: null,
  busy: new Set(),
  // Items settled from this page: their TAKEN event is this page's own doing.
  settledHere: new Set(),
  // Items whose decision this page has sent and not yet heard back about: the decision's own
  // event may arrive over the socket before the answer does.
  settling: new Set(),
};

export const openItemId = () => state.node?.id ?? null;

export const settledHere = (id) => state.settledHere.has(id) || state.settling.has(id);

// --- Showing an item -----------------------------------------------------------------------------

function facts(rows) {
  const list = element("dl", undefined, "facts");
  for (const [term, value] of rows) {
    const item = element("div");
    const detail = element("dd");
    detail.append(value);
    item.append(element("dt", term), detail);
    list.append(item);
  }
  return list;
}

function shown(field, value) {
  if (value === null || value === undefined || value === "") return "（記入なし）";
  if (typeof value === "boolean") return value ? "あり" : "なし";
  if (typeof value === "number") {
    const unit = UNITS[field] ?? "";
    return unit === "円" ? `${value.toLocaleString("ja-JP")}${unit}` : `${value}${unit}`;
  }
  return CHOICES[field]?.[value] ?? String(value);
}

let postingForm = null;

function loadPostingForm() {
  postingForm ??= graphql(POSTING_FORM).then(
    (data) => data.postingForm,
    (error) => {
      postingForm = null;
      throw error;
    },
  );
  return postingForm;
}

// The eight sections as the printed 求人票 heads them, the establishment's own data first in
// 2 事業所情報. For a change, what it changes is marked with the value it replaces.
function postingSections(posting, sections) {
  const content = reviewedContent(posting);
  const before = content === posting.content ? null : posting.content;
  const { establishment } = posting;
  const own = [
    ["事業所名", establishment.name],
    ["事業所名 (フリガナ)", establishment.nameKana],
    ["所在地", `〒${establishment.postalCode} ${establishment.address}`],
    ["電話番号", establishment.phoneNumber],
  ];
  const wrapper = element("div", undefined, "kyujinhyo");
  for (const section of sections) {
    const part = element("section", undefined, "form-section");
    const headingId = `form-section-${section.number}`;
    part.setAttribute("aria-labelledby", headingId);
    const heading = element("h4", `${section.number}　${section.title}`);
    heading.id = headingId;
    const rows = section.section === "ESTABLISHMENT" ? [...own] : [];
    for (const item of section.items) {
      if (!KEY_FIELDS.includes(item.field)) continue;
      const fallback = establishment[ESTABLISHMENT_DEFAULTS[item.field]];
      const value = element("span", shown(item.field, content[item.field] || fallback), "text");
      if (before && before[item.field] !== content[item.field]) {
        const changed = element("span", undefined, "changed");
        changed.append(
          element("strong", "変更"),
          `（変更前：${shown(item.field, before[item.field])}）`,
        );
        const both = element("span");
        both.append(value, " ", changed);
        rows.push([item.label, both]);
      } else {
        rows.push([item.label, value]);
      }
    }
    part.append(heading, facts(rows));
    wrapper.append(part);
  }
  return wrapper;
}

function checkList(check) {
  const box = element("div", undefined, "check-result");
  if (!check.errors.length && !check.warnings.length) {
    box.append(element("p", "確認結果：エラー・警告はありません"));
    return box;
  }
  box.append(
    element("p", `確認結果：エラー ${check.errors.length} 件 ・ 警告 ${check.warnings.length} 件`),
  );
  const list = element("ul", undefined, "check-items");
  for (const [kind, label, items] of [
    ["error", "エラー", check.errors],
    ["warning", "警告", check.warnings],
  ]) {
    for (const item of items) {
      const entry = element("li", undefined, `check-${kind}`);
      entry.append(element("strong", label, "check-label"), `：${item.message}`);
      list.append(entry);
    }
  }
  box.append(list);
  return box;
}

function history(posting) {
  const part = element("section", undefined, "history-part");
  part.setAttribute("aria-labelledby", "posting-history-title");
  const heading = element("h4", "履歴");
  heading.id = "posting-history-title";
  const list = element("ol", undefined, "history");
  for (const event of posting.history) {
    const entry = element("li");
    const who = event.actorPortal ? `（${ACTOR[event.actorPortal] ?? event.actorPortal}）` : "";
    entry.append(timeElement(event.at), ` ${POSTING_ACTION[event.action] ?? event.action}${who}`);
    if (event.reason) entry.append(element("span", `メモ・理由：${event.reason}`, "meta"));
    if (event.changes.length) {
      const changes = element("ul", undefined, "changes");
      for (const change of event.changes) {
        changes.append(
          element(
            "li",
            `${change.label}：${change.before || "（空欄）"} → ${change.after || "（空欄）"}`,
          ),
        );
      }
      entry.append(changes);
    }
    list.append(entry);
  }
  part.append(heading, list);
  return part;
}

function pdfLink(posting) {
  const line = element("p");
  if (!isSameOrigin(posting.kyujinhyoPdfUrl)) return line;
  const link = element("a", "求人票（PDF）", "pdf-link");
  link.href = posting.kyujinhyoPdfUrl;
  link.target = "_blank";
  link.rel = "noopener";
  link.append(element("span", "（新しいタブで開きます）", "visually-hidden"));
  line.append(link);
  if (postingWait(posting) !== "SUBMISSION")
    line.append(element("span", " 印刷用の求人票は現在有効な内容です。", "meta"));
  return line;
}

async function renderPosting(posting) {
  const sections = await loadPostingForm();
  const rows = [
    ["状態", POSTING_STATUS[posting.status] ?? posting.status],
    ["事業所番号", posting.establishment.establishmentNumber],
  ];
  if (posting.postingNumber) rows.push(["求人番号", posting.postingNumber]);
  if (posting.submittedAt) rows.push(["申込み", timeElement(posting.submittedAt)]);
  if (posting.changeRequestedAt) rows.push(["変更の申請", timeElement(posting.changeRequestedAt)]);
  if (posting.renewalReservedAt) rows.push(["更新予約", timeElement(posting.renewalReservedAt)]);
  const body = [facts(rows)];
  if (posting.enteredByStaff)
    body.push(
      element(
        "p",
        "職員が求人申込書から入力した求人です。受理には確認メモが必要です。",
        "entered-by-staff",
      ),
    );
  $("item-body").replaceChildren(
    ...body,
    checkList(posting.check),
    pdfLink(posting),
    postingSections(posting, sections),
    history(posting),
  );

  const due = posting.counterRegistration;
  const pending = due && !due.confirmedAt;
  $("counter-confirm-form").hidden = !pending;
  if (pending) {
    const reasons = due.reasons.map((r) => COUNTER_REGISTRATION_REASON[r] ?? r).join("、");
    const text = $("counter-due");
    text.replaceChildren(
      element("strong", "本登録が必要です"),
      `（${reasons}）。期限：`,
      timeElement(due.dueOn, formatDate(due.dueOn)),
      "。窓口で確認してから受理してください。",
    );
  }
}

function renderImage(image) {
  $("counter-confirm-form").hidden = true;
  $("item-body").replaceChildren(
    facts([
      ["事業所", `${image.establishment.name}（${image.establishment.establishmentNumber}）`],
      ["説明", image.caption || "（説明なし）"],
      ["形式", IMAGE_FORMAT[image.format] ?? image.format],
      ["大きさ", `${image.width} × ${image.height} ピクセル`],
      ["ファイルサイズ", `${Math.ceil(image.sizeBytes / 1024).toLocaleString("ja-JP")} KB`],
      ["登録", timeElement(image.uploadedAt)],
    ]),
  );
}

function renderChange(change) {
  $("counter-confirm-form").hidden = true;
  const current = change.establishment;
  const table = element("table");
  const caption = element("caption", "変更される項目");
  const head = element("thead");
  const headRow = element("tr");
  for (const title of ["項目", "現在", "変更後"]) {
    const cell = element("th", title);
    cell.scope = "col";
    headRow.append(cell);
  }
  head.append(headRow);
  const body = element("tbody");
  for (const [field, label] of Object.entries(PROFILE_LABELS)) {
    if (current[field] === change.proposed[field]) continue;
    const row = element("tr");
    const name = element("th", label);
    name.scope = "row";
    row.append(name, element("td", shown(field, current[field])));
    row.append(element("td", shown(field, change.proposed[field])));
    body.append(row);
  }
  table.append(caption, head, body);
  $("item-body").replaceChildren(
    facts([
      ["事業所", `${current.name}（${current.establishmentNumber}）`],
      ["申請", timeElement(change.requestedAt)],
    ]),
    body.childElementCount ? table : element("p", "変更される項目はありません。"),
  );
}

function renderPreRegistration(entry) {
  $("counter-confirm-form").hidden = true;
  const contact = [entry.contactDepartment, entry.contactName].filter(Boolean).join(" ");
  $("item-body").replaceChildren(
    facts([
      ["受付番号", entry.receiptNumber],
      ["事業所名", entry.name],
      ["事業所名（フリガナ）", entry.nameKana],
      ["所在地", `〒${entry.postalCode} ${entry.prefecture}${entry.city}${entry.street}`],
      ["電話番号", entry.phoneNumber],
      ["産業（事業の内容）", entry.industry],
      ["従業員数", `${entry.employeeCount}人`],
      ["代表者", `${entry.representativeTitle} ${entry.representativeName}`.trim()],
      ["担当者", contact],
      ["担当者の電話番号", entry.contactPhone || entry.phoneNumber],
      ["最初のログインのメールアドレス", entry.email],
      ["仮登録", timeElement(entry.createdAt)],
      ["メールアドレスの確認", timeElement(entry.verifiedAt)],
    ]),
    element(
      "p",
      "電話などで実在と内容を確かめてから本登録してください。本登録で事業所番号が付き、最初のログインにパスワード設定のメールが届きます。",
      "meta",
    ),
  );
}

// Whether the item read still waits for review.
function stillWaiting(node) {
  if (!node) return false;
  switch (node.__typename) {
    case "Posting":
      return (
        node.status === "SUBMITTED" ||
        (node.status === "ACTIVE" &&
          Boolean(node.changeRequestedAt || (node.renewalReservedAt && !node.renewalAcceptedAt)))
      );
    case "EstablishmentPreRegistration":
      return node.entryStatus === "PENDING";
    default:
      return node.reviewStatus === "PENDING";
  }
}

function setUpForms(node) {
  const review = REVIEWS[node.__typename];
  state.form = review;
  for (const id of ["accept-errors", "return-errors", "counter-confirm-errors"])
    $(id).textContent = "";
  for (const id of ["accept-note", "return-reason"]) {
    $(id).value = "";
    $(id).removeAttribute("aria-invalid");
  }
  $("accept-button").textContent = review.acceptText;
  const note = review.noteLabel(node);
  $("accept-note-label").textContent = note;
  $("accept-note").setAttribute("aria-required", String(note.includes("必須")));
  $("return-button").textContent = review.returnText;
  $("return-reason-label").textContent = review.reasonLabel;
  $("item-actions").hidden = false;
}

function showGone(text) {
  const gone = $("item-gone");
  const hadFocus = $("item-actions").contains(document.activeElement);
  gone.textContent = text;
  gone.hidden = false;
  $("item-actions").hidden = true;
  if (hadFocus) gone.focus();
}

export async function openItem(queued) {
  state.node = queued;
  markOpen(queued.id);
  $("item-panel").hidden = false;
  $("item-title").textContent = itemLabel(queued);
  $("item-meta").textContent = "読み込み中…";
  $("item-gone").hidden = true;
  $("item-body").replaceChildren();
  $("item-actions").hidden = true;
  $("item-title").focus();
  const { node } = await graphql(ITEM, { id: queued.id });
  if (state.node?.id !== queued.id) return;
  $("item-meta").textContent = "";
  if (!stillWaiting(node)) {
    showGone("この項目はすでに審査待ちではありません。");
    return;
  }
  state.node = node;
  $("item-title").textContent = itemLabel(node);
  if (node.__typename === "Posting") await renderPosting(node);
  else if (node.__typename === "EstablishmentImage") renderImage(node);
  else if (node.__typename === "EstablishmentChange") renderChange(node);
  else renderPreRegistration(node);
  setUpForms(node);
}

export function closeItem({ focus = true } = {}) {
  const id = state.node?.id;
  state.node = null;
  markOpen(null);
  $("item-panel").hidden = true;
  if (focus) focusQueue(id ? Math.max(indexOf(id), 0) : 0);
}

// A colleague settled the open item, or it went otherwise (withdrawn, deleted).
export function itemGone(id, taken) {
  if (state.node?.id !== id) return;
  showGone(
    taken
      ? "この項目は他の職員が処理しました。"
      : "この項目は審査待ちではなくなりました（取下げなど）。",
  );
}

// --- Settling it ---------------------------------------------------------------------------------

function clearErrors(form) {
  form.querySelector(".error").textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
}

function showErrors(form, errors, field) {
  const box = form.querySelector(".error");
  box.textContent = userErrors(errors);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", box.id);
    field.focus();
  }
}

// Runs one of the forms. The submit button stays enabled while it works (disabling it would
// take the keyboard focus away); a second press waits. `settle` answers the errors and an
// outcome to announce; `done` follows when there were no errors.
async function submitting(event, field, settle, done) {
  event.preventDefault();
  const form = event.currentTarget;
  const node = state.node;
  if (!node || state.busy.has(form.id)) return;
  state.busy.add(form.id);
  state.settling.add(node.id);
  clearErrors(form);
  try {
    const { errors, outcome = "" } = await settle(node, field ? field.value.trim() : "");
    if (errors.length) {
      showErrors(form, errors, field);
      return;
    }
    await done(node, outcome);
  } catch (error) {
    showErrors(form, [{ message: error.message }], field);
  } finally {
    state.busy.delete(form.id);
    state.settling.delete(node.id);
  }
}

// Settled from here: out of the list, announced, the focus on the item that came after it.
function settled(node, verb, outcome) {
  state.settledHere.add(node.id);
  const index = Math.max(indexOf(node.id), 0);
  removeItem(node.id);
  announceNow(`${verb}しました: ${itemLabel(node)}${outcome}`);
  closeItem({ focus: false });
  focusQueue(index);
}

async function counterConfirmed(node) {
  announceNow(`本登録を確認しました: ${itemLabel(node)}`);
  const { node: posting } = await graphql(ITEM, { id: node.id });
  if (state.node?.id !== node.id || !stillWaiting(posting)) return;
  state.node = posting;
  await renderPosting(posting);
  $("accept-button").focus();
}

export function setUpReview() {
  $("accept-form").addEventListener("submit", (event) =>
    submitting(
      event,
      $("accept-note"),
      (node, note) => state.form.accept(node, note),
      (node, outcome) => settled(node, REVIEWS[node.__typename].acceptText, outcome),
    ),
  );
  $("return-form").addEventListener("submit", (event) =>
    submitting(
      event,
      $("return-reason"),
      (node, reason) => state.form.ret(node, reason),
      (node, outcome) => settled(node, REVIEWS[node.__typename].returnText, outcome),
    ),
  );
  $("counter-confirm-form").addEventListener("submit", (event) =>
    submitting(
      event,
      null,
      async (node) => ({
        errors: (await graphql(COUNTER_CONFIRM, { input: { id: node.id } })).postingCounterConfirm
          .errors,
      }),
      counterConfirmed,
    ),
  );
  $("item-close").addEventListener("click", () => closeItem());
}
