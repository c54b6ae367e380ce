// The applicants of a posting (応募者管理): who applied as Hello Work shows them to the
// establishment (name, kana, age, address, contact), and for the one chosen its 志望動機,
// documents, 紹介状, status history, result report, notice to the applicant, interviews and
// internal notes, with the forms that change them; and the applicants whose result is still to
// be reported to Hello Work (選考結果の報告が必要な応募者).
//
// Personal data is read only where it is shown: every read is recorded by the service.
import {
  $,
  announce,
  announceNow,
  element,
  formatDate,
  formatTime,
  graphql,
  isSameOrigin,
  timeElement,
  userErrors,
} from "./page.js";

export const STATUS = {
  APPLIED: "応募",
  SCREENING: "書類選考",
  INTERVIEW: "面接",
  HIRED: "採用",
  REJECTED: "不採用",
  WITHDRAWN: "辞退",
};
const SOURCE = { REFERRAL: "紹介", ONLINE: "オンライン自主応募" };
const ACTOR = { EMPLOYER: "事業所", SEEKER: "求職者", STAFF: "ハローワーク" };
const RESULT = { HIRED: "採用", REJECTED: "不採用", WITHDRAWN: "応募者辞退" };
const REJECTION = {
  SKILLS: "必要な知識・技能・経験が不足",
  LICENSE: "必要な免許・資格がない",
  CONDITIONS: "労働条件（賃金・時間・勤務地等）が合わない",
  APTITUDE: "適性が合わない",
  FILLED: "他の応募者を採用（充足）",
  OTHER: "その他",
};
const NOTICE = {
  MESSAGE: "メッセージ",
  PHONE: "電話",
  EMAIL: "メール",
  POST: "郵送",
  IN_PERSON: "面談",
};
const DOCUMENT_KIND = { RESUME: "履歴書", CAREER_HISTORY: "職務経歴書", OTHER: "その他の書類" };
const WALK_IN = "マイページなし（電話・メールで連絡）";

// The moves an employer may offer, as `ApplicationStatusUpdateInput.status` describes them: a
// result at any stage, 辞退 while under selection, 採用 ↔ 不採用 to correct. The service decides;
// its errors are shown beside the form.
const MOVES = {
  APPLIED: ["SCREENING", "INTERVIEW", "HIRED", "REJECTED", "WITHDRAWN"],
  SCREENING: ["INTERVIEW", "HIRED", "REJECTED", "WITHDRAWN"],
  INTERVIEW: ["HIRED", "REJECTED", "WITHDRAWN"],
  HIRED: ["REJECTED"],
  REJECTED: ["HIRED"],
  WITHDRAWN: [],
};

const PERSON = `person { name kana age prefecture city phone email hasMyPage }`;

const APPLICATION_FIELDS = `id status source createdAt hasMyPage posting { id }`;

const ROW_FIELDS = `${APPLICATION_FIELDS} ${PERSON}`;

const NOTE_FIELDS = `id body createdAt author { id email } authoredByMe`;

const INTERVIEW_FIELDS = `id startsAt durationMinutes place onlineUrl note createdAt cancelledAt
  cancelReason`;

const DETAIL_FIELDS = `${ROW_FIELDS}
  motivation referralLetterNumber referralNote referralLetterPdfUrl resultLockedFrom
  posting { id status postingNumber content { jobTitle numberToHire } }
  applicant { id profileId desiredJob experience licenses }
  documents { id kind fileName size downloadUrl }
  statusHistory { id actorPortal at fromStatus toStatus reason }
  resultReport { result hireDate conditionsDiffer rejectionReason note reportedAt reportedByPortal }
  resultNotice { method notifiedAt }
  notes { ${NOTE_FIELDS} }
  interviews { ${INTERVIEW_FIELDS} }`;

// How many applied to each posting (the postings list shows it, and follows new applications).
export const APPLICATION_COUNTS = `applicationCounts { id total posting { id } }`;

const COUNTS = `query DashboardApplicationCounts { ${APPLICATION_COUNTS} }`;

const APPLICANTS = `query DashboardApplicants($postingId: ID!) {
  applications(postingId: $postingId, first: 100) { edges { node { ${ROW_FIELDS} } } }
}`;

const ROW = `query DashboardApplicantRow($id: ID!) {
  node(id: $id) { id ... on Application { ${ROW_FIELDS} } }
}`;

const APPLICANT = `query DashboardApplicant($id: ID!) {
  node(id: $id) { id ... on Application { ${DETAIL_FIELDS} } }
}`;

const STATUS_UPDATE = `mutation DashboardApplicationStatusUpdate($input: ApplicationStatusUpdateInput!) {
  applicationStatusUpdate(input: $input) {
    application { ${DETAIL_FIELDS} }
    numberToHireReached
    errors { field code message }
  }
}`;

const POSTING_STOP = `mutation DashboardPostingStop($input: PostingStopInput!) {
  postingStop(input: $input) { posting { id status stopReason } errors { field code message } }
}`;

const RESULT_REPORT = `mutation DashboardApplicationResultReport($input: ApplicationResultReportInput!) {
  applicationResultReport(input: $input) {
    application { ${DETAIL_FIELDS} }
    errors { field code message }
  }
}`;

const RESULT_NOTIFY = `mutation DashboardApplicationResultNotify($input: ApplicationResultNotifyInput!) {
  applicationResultNotify(input: $input) {
    application { ${DETAIL_FIELDS} }
    errors { field code message }
  }
}`;

const NOTE_ADD = `mutation DashboardApplicationNoteAdd($input: ApplicationNoteAddInput!) {
  applicationNoteAdd(input: $input) { note { ${NOTE_FIELDS} } errors { field code message } }
}`;

const INTERVIEW_SCHEDULE = `mutation DashboardInterviewSchedule($input: InterviewScheduleInput!) {
  interviewSchedule(input: $input) {
    interview { ${INTERVIEW_FIELDS} }
    messageSent
    errors { field code message }
  }
}`;

const REPORTS_DUE = `query DashboardResultReportsDue {
  resultReportsDue(first: 20) {
    pageInfo { hasNextPage }
    edges { node {
      id
      application { id person { name } posting { id } postingSummary { id postingNumber jobTitle } }
      lockedFrom daysLeft
    } }
  }
}`;

export const STATUS_CHANGED = `subscription DashboardApplicationStatusChanged($after: String) {
  applicationStatusChanged(after: $after) {
    cursor fromStatus toStatus at
    application { ${APPLICATION_FIELDS} postingSummary { id postingNumber jobTitle } }
  }
}`;

export const INTERVIEW_CHANGED = `subscription DashboardInterviewChanged($after: String) {
  interviewChanged(after: $after) {
    cursor change
    interview { ${INTERVIEW_FIELDS} }
    application { id postingSummary { id postingNumber jobTitle } }
  }
}`;

const state = {
  postingId: null,
  postingLabel: "",
  // Each selection of a posting counts up: an answer for an earlier one is dropped.
  selection: 0,
  // The list being read for the selection, if it is: a row read live waits for it.
  loading: null,
  // The applicant shown in detail, as last read.
  applicant: null,
  // The posting whose number to hire was reached, while the question is open.
  stopPosting: null,
  busy: new Set(),
  onPostingStopped: () => {},
};

// Changes this page made, for which the live event that follows must not be announced twice.
const echoes = new Map();

function expectEcho(key) {
  echoes.set(key, (echoes.get(key) ?? 0) + 1);
}

function takeEcho(key) {
  const count = echoes.get(key) ?? 0;
  if (count <= 1) echoes.delete(key);
  else echoes.set(key, count - 1);
  return count > 0;
}

const statusEcho = (applicationId, status) => `status ${applicationId} ${status}`;
const interviewEcho = (applicationId, startsAt) =>
  `interview ${applicationId} ${Date.parse(startsAt)}`;

export const selectedPostingId = () => state.postingId;

// A moment typed into a datetime-local field is Tokyo time, as every time on the page is.
function tokyoMoment(value) {
  return `${value.length === 16 ? `${value}:00` : value}+09:00`;
}

function dayBefore(day) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

function fileSize(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

const address = (person) => `${person.prefecture}${person.city}` || "（未登録）";
const orUnknown = (text) => text || "（未登録）";

// --- The list -------------------------------------------------------------------------------------

// A cell with its column's heading, which a phone's stacked rows show beside the value.
function cell(label, content, className) {
  const node = element("td", undefined, className);
  node.dataset.label = label;
  if (content !== undefined) node.append(content);
  return node;
}

function contactCell(person) {
  const cell = element("td", undefined, "contact");
  cell.dataset.label = "連絡先";
  if (!person) return cell;
  if (person.phone) cell.append(element("span", person.phone));
  if (person.email) cell.append(element("span", person.email));
  if (!person.hasMyPage) cell.append(element("strong", WALK_IN, "walk-in"));
  return cell;
}

function applicantRow(application) {
  const { person } = application;
  const row = element("tr");
  row.dataset.applicationId = application.id;
  const name = element("th");
  name.scope = "row";
  const button = element("button", person?.name ?? "（表示できません）");
  button.type = "button";
  button.setAttribute("aria-pressed", String(application.id === state.applicant?.id));
  button.setAttribute("aria-controls", "applicant");
  button.addEventListener("click", () => openApplicant(application.id).catch(couldNotShow));
  name.append(button);
  if (person?.kana) name.append(element("span", person.kana, "kana"));
  row.append(
    name,
    cell("年齢", person?.age == null ? "" : `${person.age} 歳`),
    cell("住所", person ? address(person) : ""),
    contactCell(person),
    cell("応募日時", timeElement(application.createdAt)),
    cell("経路", SOURCE[application.source] ?? application.source),
    cell("選考状況", STATUS[application.status] ?? application.status, "status"),
  );
  return row;
}

function couldNotShow(error) {
  announceNow(`応募者を表示できませんでした: ${error.message}`);
}

function showCount() {
  const count = $("applicants").rows.length;
  $("applicants-caption").textContent = `${state.postingLabel} の応募者（${count} 人）`;
  setPostingCount(state.postingId, count);
}

// The count in the postings list (a `.applicant-count` of the posting's item, if listed).
function setPostingCount(postingId, count) {
  if (!postingId) return;
  const item = $("postings").querySelector(`li[data-posting-id="${CSS.escape(postingId)}"]`);
  const counter = item?.querySelector(".applicant-count");
  if (counter) counter.textContent = `応募者 ${count} 人`;
}

// Every listed posting's number of applicants, as the API counts them now.
export async function refreshApplicantCounts() {
  const { applicationCounts } = await graphql(COUNTS);
  showApplicantCounts(applicationCounts);
}

// `applicationCounts` as read (a posting nobody applied to is not in it).
export function showApplicantCounts(applicationCounts) {
  const totals = new Map(applicationCounts.map((counts) => [counts.posting.id, counts.total]));
  for (const item of $("postings").querySelectorAll("li[data-posting-id]")) {
    const counter = item.querySelector(".applicant-count");
    if (counter) counter.textContent = `応募者 ${totals.get(item.dataset.postingId) ?? 0} 人`;
  }
}

function rowOf(applicationId) {
  return $("applicants").querySelector(`tr[data-application-id="${CSS.escape(applicationId)}"]`);
}

export function resetApplicants() {
  state.postingId = null;
  state.selection += 1;
  state.loading = null;
  closeApplicant();
  $("applicants").replaceChildren();
  $("applicants-table").hidden = true;
  $("applicants-hint").hidden = false;
}

export async function selectPosting(posting) {
  state.postingId = posting.id;
  const selection = (state.selection += 1);
  for (const button of $("postings").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.postingId === posting.id));
  }
  const loading = graphql(APPLICANTS, { postingId: posting.id });
  const settled = loading.then(
    () => {},
    () => {},
  );
  state.loading = settled;
  let applications;
  try {
    ({ applications } = await loading);
  } finally {
    if (state.loading === settled) state.loading = null;
  }
  if (selection !== state.selection) return;
  if (state.applicant && state.applicant.posting?.id !== posting.id) closeApplicant();
  state.postingLabel = `求人番号 ${posting.postingNumber} ${posting.content.jobTitle}`;
  $("applicants").replaceChildren(...applications.edges.map((edge) => applicantRow(edge.node)));
  showCount();
  $("applicants-table").hidden = false;
  $("applicants-hint").hidden = true;
}

// --- The applicant in detail ------------------------------------------------------------------

function closeApplicant() {
  state.applicant = null;
  state.stopPosting = null;
  $("applicant").hidden = true;
  $("stop-question").hidden = true;
}

async function openApplicant(applicationId) {
  const { node } = await graphql(APPLICANT, { id: applicationId });
  if (!node) {
    announceNow("応募が見つかりません。");
    return;
  }
  if (state.applicant?.id !== node.id) {
    for (const form of $("applicant").querySelectorAll("form")) {
      form.reset();
      clearErrors(form);
    }
    state.stopPosting = null;
    $("stop-question").hidden = true;
  }
  renderApplicant(node);
  prefillReport(node);
  $("applicant").hidden = false;
  $("applicant-title").focus();
}

async function reloadApplicant() {
  if (!state.applicant) return;
  const { node } = await graphql(APPLICANT, { id: state.applicant.id });
  if (node && node.id === state.applicant?.id) renderApplicant(node);
}

function fact(list, term, value) {
  const entry = element("div");
  const description = element("dd");
  description.append(value);
  entry.append(element("dt", term), description);
  list.append(entry);
}

function renderPerson(application) {
  const { person } = application;
  const facts = $("applicant-person");
  facts.replaceChildren();
  if (person) {
    fact(facts, "氏名", person.name);
    fact(facts, "フリガナ", orUnknown(person.kana));
    fact(facts, "年齢", person.age == null ? "（未登録）" : `${person.age} 歳`);
    fact(facts, "住所", address(person));
    fact(facts, "電話番号", orUnknown(person.phone));
    fact(facts, "メールアドレス", orUnknown(person.email));
  }
  fact(facts, "応募日時", timeElement(application.createdAt));
  fact(facts, "経路", SOURCE[application.source] ?? application.source);
  if (application.applicant) {
    fact(facts, "希望職種", orUnknown(application.applicant.desiredJob));
    fact(facts, "職務経験", orUnknown(application.applicant.experience));
    fact(facts, "免許・資格", orUnknown(application.applicant.licenses));
  }
  $("applicant-walk-in").hidden = person?.hasMyPage !== false;
}

function renderDocuments(application) {
  const files = application.documents.filter((file) => isSameOrigin(file.downloadUrl));
  $("applicant-documents-empty").hidden = files.length > 0;
  $("applicant-documents").replaceChildren(
    ...files.map((file) => {
      const link = element("a", `${DOCUMENT_KIND[file.kind] ?? file.kind}：`);
      link.href = file.downloadUrl;
      link.download = file.fileName;
      link.append(
        element("span", file.fileName, "file-name"),
        `（${fileSize(file.size)}）`,
        element("span", "をダウンロード", "visually-hidden"),
      );
      const item = element("li");
      item.dataset.documentId = file.id;
      item.append(link);
      return item;
    }),
  );
}

function renderReferral(application) {
  const referral = $("applicant-referral");
  referral.replaceChildren();
  referral.hidden = application.source !== "REFERRAL";
  if (referral.hidden) return;
  if (application.referralLetterNumber)
    referral.append(element("p", `紹介状番号 ${application.referralLetterNumber}`));
  if (application.referralNote) referral.append(element("p", application.referralNote, "text"));
  if (application.referralLetterPdfUrl && isSameOrigin(application.referralLetterPdfUrl)) {
    const link = element("a", "紹介状（PDF）");
    link.href = application.referralLetterPdfUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.append(element("span", "（新しいタブで開きます）", "visually-hidden"));
    const line = element("p");
    line.append(link);
    referral.append(line);
  }
}

function renderHistory(application) {
  $("applicant-history").replaceChildren(
    ...application.statusHistory.map((change) => {
      const to = STATUS[change.toStatus] ?? change.toStatus;
      const move = change.fromStatus ? `${STATUS[change.fromStatus]} → ${to}` : to;
      const who = change.actorPortal ? `（${ACTOR[change.actorPortal]}）` : "";
      const item = element("li");
      item.append(timeElement(change.at), ` ${move}${who}`);
      if (change.reason) item.append(element("span", `理由：${change.reason}`, "meta"));
      return item;
    }),
  );
}

function renderStatusForm(application) {
  const moves = MOVES[application.status] ?? [];
  const select = $("status-to");
  const chosen = select.value;
  select.replaceChildren(
    ...moves.map((status) => {
      const option = element("option", STATUS[status]);
      option.value = status;
      return option;
    }),
  );
  if (moves.includes(chosen)) select.value = chosen;
  $("status-current").textContent =
    `現在の選考状況：${STATUS[application.status] ?? application.status}`;
  $("status-form").hidden = moves.length === 0;
  $("status-final").hidden = moves.length > 0;
}

function reportText(report) {
  const parts = [`報告済み：${RESULT[report.result] ?? report.result}`];
  if (report.hireDate) parts.push(`採用予定日 ${formatDate(report.hireDate)}`);
  if (report.conditionsDiffer) parts.push("求人票と異なる労働条件");
  if (report.rejectionReason) parts.push(`理由 ${REJECTION[report.rejectionReason]}`);
  if (report.note) parts.push(`記載事項 ${report.note}`);
  let text = parts.join(" ・ ");
  if (report.reportedAt) {
    const by = report.reportedByPortal === "STAFF" ? "、ハローワークが電話で受付" : "";
    text += `（${formatTime(report.reportedAt)} 報告${by}）`;
  }
  return text;
}

function renderReport(application) {
  $("report-current").textContent = application.resultReport
    ? reportText(application.resultReport)
    : "未報告";
  $("report-lock").textContent = application.resultLockedFrom
    ? `報告・訂正の期限：${formatDate(dayBefore(application.resultLockedFrom))}`
    : "求人が無効になった月の3か月後の月末まで報告・訂正できます。";
}

function renderNotice(application) {
  const notice = application.resultNotice;
  $("notify-current").textContent = notice
    ? `連絡済み：${NOTICE[notice.method] ?? notice.method}（${formatTime(notice.notifiedAt)}）`
    : "未連絡";
  const { hasMyPage } = application;
  const select = $("notify-method");
  const chosen = select.value;
  const methods = Object.keys(NOTICE).filter((method) => hasMyPage || method !== "MESSAGE");
  select.replaceChildren(
    ...methods.map((method) => {
      const option = element("option", NOTICE[method]);
      option.value = method;
      return option;
    }),
  );
  if (methods.includes(chosen)) select.value = chosen;
  showNoticeFields();
}

function interviewItem(interview) {
  const item = element("li", undefined, interview.cancelledAt ? "cancelled" : undefined);
  item.dataset.interviewId = interview.id;
  item.append(
    timeElement(interview.startsAt),
    `から ${interview.durationMinutes} 分`,
    interview.cancelledAt ? element("strong", "（取消）") : "",
  );
  if (interview.place) item.append(element("span", `会場：${interview.place}`, "meta"));
  if (interview.onlineUrl)
    item.append(element("span", `オンライン：${interview.onlineUrl}`, "meta"));
  if (interview.note) item.append(element("span", `連絡事項：${interview.note}`, "meta"));
  if (interview.cancelledAt)
    item.append(
      element(
        "span",
        `取消：${formatTime(interview.cancelledAt)} ${interview.cancelReason}`.trim(),
        "meta",
      ),
    );
  return item;
}

function renderInterviews(application) {
  const interviews = [...application.interviews].sort(
    (a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt),
  );
  $("interviews-empty").hidden = interviews.length > 0;
  $("interviews").replaceChildren(...interviews.map(interviewItem));
  const { hasMyPage } = application;
  $("interview-walk-in").hidden = hasMyPage;
}

function noteItem(note) {
  const item = element("li");
  item.dataset.noteId = note.id;
  const who = note.authoredByMe ? "自分" : (note.author?.email ?? "");
  const meta = element("span", undefined, "meta");
  meta.append(timeElement(note.createdAt), ` ・ ${who}`);
  item.append(meta, element("span", note.body, "text"));
  return item;
}

function renderNotes(application) {
  $("notes-empty").hidden = application.notes.length > 0;
  $("notes").replaceChildren(...application.notes.map(noteItem));
}

function renderApplicant(application) {
  state.applicant = application;
  const { person } = application;
  $("applicant-title").textContent = `${person?.name ?? "応募者"}（${
    STATUS[application.status] ?? application.status
  }）`;
  renderPerson(application);
  $("applicant-motivation").textContent = application.motivation || "（記入なし）";
  renderDocuments(application);
  renderReferral(application);
  renderHistory(application);
  renderStatusForm(application);
  renderReport(application);
  renderNotice(application);
  renderInterviews(application);
  renderNotes(application);
  for (const button of $("applicants").querySelectorAll("th button")) {
    const row = button.closest("tr");
    button.setAttribute("aria-pressed", String(row.dataset.applicationId === application.id));
  }
}

// --- The forms -----------------------------------------------------------------------------------

function errorBox(form) {
  return form.querySelector(".error");
}

function clearErrors(form) {
  errorBox(form).textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
}

function showErrors(form, errors) {
  const box = errorBox(form);
  box.textContent = userErrors(errors);
  for (const error of errors) {
    const field = error.field && form.elements.namedItem(error.field);
    if (field instanceof HTMLElement) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", box.id);
    }
  }
}

// Runs a form's mutation: `send` returns the payload's errors. The submit button stays enabled
// while it works (disabling it would take the keyboard focus away); a second press waits.
async function submitting(form, send) {
  if (state.busy.has(form.id) || !state.applicant) return;
  state.busy.add(form.id);
  clearErrors(form);
  try {
    const errors = await send(state.applicant);
    if (errors.length) showErrors(form, errors);
  } catch (error) {
    showErrors(form, [{ message: error.message }]);
  } finally {
    state.busy.delete(form.id);
  }
}

function applicantName(application) {
  return application.person?.name ?? "応募者";
}

function applied(application) {
  rowOf(application.id)?.replaceWith(applicantRow(application));
  renderApplicant(application);
}

async function submitStatus(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async (applicant) => {
    const status = $("status-to").value;
    const echo = statusEcho(applicant.id, status);
    expectEcho(echo);
    let payload;
    try {
      ({ applicationStatusUpdate: payload } = await graphql(STATUS_UPDATE, {
        input: { applicationId: applicant.id, status, reason: $("status-reason").value.trim() },
      }));
    } catch (error) {
      takeEcho(echo);
      throw error;
    }
    if (payload.errors.length) {
      takeEcho(echo);
      return payload.errors;
    }
    const application = payload.application;
    applied(application);
    $("status-reason").value = "";
    if (status in RESULT) prefillReport(application);
    announceNow(
      `${applicantName(application)} さんの選考状況を「${STATUS[status]}」に変更しました`,
    );
    if (payload.numberToHireReached) askToStop(application.posting);
    else if ($("status-form").hidden) $("status-final").focus();
    return [];
  });
}

function askToStop(posting) {
  state.stopPosting = posting;
  clearErrors($("stop-question"));
  $("stop-posting").textContent = `求人番号 ${posting.postingNumber} ${posting.content.jobTitle}`;
  $("stop-question").hidden = false;
  announceNow(
    `採用予定人数に達しました。募集を停止しますか？（求人番号 ${posting.postingNumber}）`,
  );
  $("stop-question-text").focus();
}

async function stopPosting(event) {
  event.preventDefault();
  const posting = state.stopPosting;
  if (!posting) return;
  await submitting(event.currentTarget, async () => {
    const { postingStop } = await graphql(POSTING_STOP, {
      input: { id: posting.id, reason: $("stop-reason").value.trim() },
    });
    if (postingStop.errors.length) return postingStop.errors;
    state.stopPosting = null;
    $("stop-question").hidden = true;
    announceNow(`求人番号 ${posting.postingNumber} の募集を停止しました`);
    $("status-current").focus();
    await Promise.all([state.onPostingStopped(), reloadApplicant()]);
    return [];
  });
}

function keepRecruiting() {
  state.stopPosting = null;
  $("stop-question").hidden = true;
  announceNow("募集を続けます");
  $("status-current").focus();
}

function showReportFields() {
  const result = $("report-result").value;
  $("report-hired").hidden = result !== "HIRED";
  $("report-rejected").hidden = result !== "REJECTED";
}

// The report starts from what was reported (to correct it), else from the status decided.
function prefillReport(application) {
  const report = application.resultReport;
  const status = application.status;
  $("report-result").value = report?.result ?? (status in RESULT ? status : "");
  $("report-hire-date").value = report?.hireDate ?? "";
  $("report-conditions-differ").checked = report?.conditionsDiffer ?? false;
  $("report-rejection-reason").value = report?.rejectionReason ?? "";
  $("report-note").value = report?.note ?? "";
  showReportFields();
}

async function submitReport(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async (applicant) => {
    const result = $("report-result").value;
    if (!result) return [{ field: "result", message: "選考結果を選んでください。" }];
    const input = { applicationId: applicant.id, result, note: $("report-note").value.trim() };
    if (result === "HIRED") {
      input.hireDate = $("report-hire-date").value || null;
      input.conditionsDiffer = $("report-conditions-differ").checked;
    }
    if (result === "REJECTED") input.rejectionReason = $("report-rejection-reason").value || null;
    const { applicationResultReport: payload } = await graphql(RESULT_REPORT, { input });
    if (payload.errors.length) return payload.errors;
    applied(payload.application);
    announceNow(
      `${applicantName(payload.application)} さんの選考結果（${RESULT[result]}）をハローワークに報告しました`,
    );
    await refreshReportsDue();
    return [];
  });
}

function showNoticeFields() {
  const byMessage = $("notify-method").value === "MESSAGE";
  $("notify-message-line").hidden = !byMessage;
  $("notify-at-line").hidden = byMessage;
  $("notify-submit").textContent = byMessage ? "メッセージを送信" : "連絡を記録";
}

async function submitNotice(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async (applicant) => {
    const method = $("notify-method").value;
    const input = { applicationId: applicant.id, method };
    if (method === "MESSAGE") input.message = $("notify-message").value;
    else if ($("notify-at").value) input.notifiedAt = tokyoMoment($("notify-at").value);
    const { applicationResultNotify: payload } = await graphql(RESULT_NOTIFY, { input });
    if (payload.errors.length) return payload.errors;
    applied(payload.application);
    $("notify-message").value = "";
    $("notify-at").value = "";
    const name = applicantName(payload.application);
    announceNow(
      method === "MESSAGE"
        ? `${name} さんに結果をメッセージで連絡しました`
        : `${name} さんへの結果の連絡（${NOTICE[method]}）を記録しました`,
    );
    return [];
  });
}

async function submitNote(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async (applicant) => {
    const { applicationNoteAdd: payload } = await graphql(NOTE_ADD, {
      input: { applicationId: applicant.id, body: $("note-body").value },
    });
    if (payload.errors.length) return payload.errors;
    if (state.applicant?.id === applicant.id) {
      state.applicant = {
        ...state.applicant,
        notes: [payload.note, ...state.applicant.notes],
      };
      renderNotes(state.applicant);
    }
    $("note-body").value = "";
    announceNow(`${applicantName(applicant)} さんの社内メモを追加しました`);
    return [];
  });
}

function upsertInterview(applicationId, interview) {
  if (state.applicant?.id !== applicationId) return;
  const others = state.applicant.interviews.filter((known) => known.id !== interview.id);
  state.applicant = { ...state.applicant, interviews: [...others, interview] };
  renderInterviews(state.applicant);
}

async function submitInterview(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async (applicant) => {
    const startsAt = $("interview-starts-at").value;
    if (!startsAt) return [{ field: "startsAt", message: "面接日時を入力してください。" }];
    const input = {
      applicationId: applicant.id,
      startsAt: tokyoMoment(startsAt),
      durationMinutes: Number($("interview-duration").value),
      place: $("interview-place").value.trim(),
      onlineUrl: $("interview-online-url").value.trim(),
      note: $("interview-note").value,
    };
    const echo = interviewEcho(applicant.id, input.startsAt);
    expectEcho(echo);
    let payload;
    try {
      ({ interviewSchedule: payload } = await graphql(INTERVIEW_SCHEDULE, { input }));
    } catch (error) {
      takeEcho(echo);
      throw error;
    }
    if (payload.errors.length) {
      takeEcho(echo);
      return payload.errors;
    }
    upsertInterview(applicant.id, payload.interview);
    form.reset();
    const told = payload.messageSent
      ? "応募者にメッセージで通知しました"
      : "応募者には電話・メールで連絡してください";
    announceNow(
      `${applicantName(applicant)} さんの面接を ${formatTime(payload.interview.startsAt)} に設定しました（${told}）`,
    );
    return [];
  });
}

// --- Reports due -------------------------------------------------------------------------------

function dueText(due) {
  if (due.lockedFrom == null) return "求人の有効中（無効になった月の3か月後の月末まで）";
  if (due.daysLeft === 0) return "期限切れ（報告できません）";
  return `${formatDate(dayBefore(due.lockedFrom))}まで（あと ${due.daysLeft} 日）`;
}

function dueRow(due) {
  const { application } = due;
  const row = element("tr");
  row.dataset.applicationId = application.id;
  const name = element("th");
  name.scope = "row";
  const button = element("button", application.person?.name ?? "（表示できません）");
  button.type = "button";
  button.setAttribute("aria-controls", "applicant");
  button.addEventListener("click", () => openDue(application).catch(couldNotShow));
  name.append(button);
  const summary = application.postingSummary;
  row.append(
    name,
    cell("求人", `${summary.postingNumber} ${summary.jobTitle}`),
    cell(
      "報告の期限",
      dueText(due),
      due.daysLeft != null && due.daysLeft <= 14 ? "urgent" : undefined,
    ),
  );
  return row;
}

async function openDue(application) {
  const summary = application.postingSummary;
  if (application.posting && application.posting.id !== state.postingId) {
    await selectPosting({
      id: application.posting.id,
      postingNumber: summary.postingNumber,
      content: { jobTitle: summary.jobTitle },
    });
  }
  await openApplicant(application.id);
}

export async function refreshReportsDue() {
  const { resultReportsDue } = await graphql(REPORTS_DUE);
  const rows = resultReportsDue.edges.map((edge) => dueRow(edge.node));
  $("reports-due-empty").hidden = rows.length > 0;
  $("reports-due-table").hidden = rows.length === 0;
  $("reports-due-more").hidden = !resultReportsDue.pageInfo.hasNextPage;
  $("reports-due-caption").textContent = `未報告の応募者（${rows.length} 人）`;
  $("reports-due").replaceChildren(...rows);
}

// --- Live updates --------------------------------------------------------------------------------

const postingLabel = (summary) => `求人番号 ${summary.postingNumber} ${summary.jobTitle}`;

// Over the WebSocket `person` comes back null: the row is read again with a request.
async function refreshRow(applicationId) {
  const { node } = await graphql(ROW, { id: applicationId });
  if (!node) return;
  // A list read before this application committed would leave it out: the row goes in after.
  while (state.loading) await state.loading;
  const row = rowOf(node.id);
  const fresh = applicantRow(node);
  fresh.classList.add("fresh");
  if (row) {
    row.replaceWith(fresh);
  } else if (node.posting?.id === state.postingId) {
    $("applicants").prepend(fresh);
    showCount();
  }
}

export function onStatusChange(change) {
  const { application } = change;
  if (rowOf(application.id) || application.posting?.id === state.postingId)
    refreshRow(application.id).catch(() => {});
  const ours = takeEcho(statusEcho(application.id, change.toStatus));
  if (!ours && state.applicant?.id === application.id) reloadApplicant().catch(() => {});
  if (!change.fromStatus) {
    refreshReportsDue().catch(() => {});
    refreshApplicantCounts().catch(() => {});
  }
  if (ours) return;
  const to = STATUS[change.toStatus] ?? change.toStatus;
  const posting = postingLabel(application.postingSummary);
  announce(
    change.at,
    change.fromStatus
      ? `選考状況の変更（${posting}）: ${STATUS[change.fromStatus] ?? change.fromStatus} → ${to}`
      : `新しい応募（${posting}）: ${to}`,
  );
}

export function onInterviewChange(event) {
  const { application, interview } = event;
  upsertInterview(application.id, interview);
  if (event.change === "SCHEDULED" && takeEcho(interviewEcho(application.id, interview.startsAt)))
    return;
  const cancelled = event.change === "CANCELLED";
  announce(
    cancelled ? interview.cancelledAt : interview.createdAt,
    `${cancelled ? "面接の取消" : "面接の設定"}（${postingLabel(application.postingSummary)}）: ${formatTime(interview.startsAt)}`,
  );
}

export function setUpApplicants({ onPostingStopped }) {
  state.onPostingStopped = onPostingStopped;
  $("applicant-title").tabIndex = -1;
  $("status-form").addEventListener("submit", submitStatus);
  $("stop-question").addEventListener("submit", stopPosting);
  $("stop-decline").addEventListener("click", keepRecruiting);
  $("report-form").addEventListener("submit", submitReport);
  $("report-result").addEventListener("change", showReportFields);
  $("notify-form").addEventListener("submit", submitNotice);
  $("notify-method").addEventListener("change", showNoticeFields);
  $("note-form").addEventListener("submit", submitNote);
  $("interview-form").addEventListener("submit", submitInterview);
}
