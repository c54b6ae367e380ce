// The Japanese words of the counter's page for the API's codes, and what each queue item is
// called: its kind, its establishment, its title and the moment it started waiting.

export const POSTING_STATUS = {
  DRAFT: "一時保存",
  SUBMITTED: "仮登録",
  ACTIVE: "受理",
  RETURNED: "修正依頼",
  INVALID: "無効",
};

export const POSTING_ACTION = {
  CREATED: "作成",
  SUBMITTED: "申込み（仮登録）",
  WITHDRAWN: "申込みの取下げ",
  ACCEPTED: "受理",
  RETURNED: "修正依頼",
  STOPPED: "募集停止",
  EXPIRED: "紹介期限日の経過",
  CHANGE_REQUESTED: "変更の申請",
  CHANGE_ACCEPTED: "変更の受理",
  CHANGE_RETURNED: "変更の差戻し",
  RENEWAL_RESERVED: "更新予約",
  RENEWED: "更新",
  REUSED: "転用",
  COUNTER_CONFIRMED: "本登録",
  LAPSED: "仮登録の失効",
  RENEWAL_ACCEPTED: "更新の受理",
  RENEWAL_RETURNED: "更新の差戻し",
  CORRECTED: "職員による修正",
};

export const ACTOR = { EMPLOYER: "事業所", SEEKER: "求職者", STAFF: "ハローワーク" };

export const COUNTER_REGISTRATION_REASON = {
  FIRST_POSTING: "マイページからの初めての求人",
  FIRST_DISABILITY_POSTING: "初めての障害者求人",
  FIRST_TRIAL_EMPLOYMENT: "初めてのトライアル雇用求人",
  NO_POSTING_FOR_A_YEAR: "1年以上求人の申込みがない",
  DISPATCH_OR_CONTRACTING: "派遣・請負の求人",
};

export const IMAGE_FORMAT = { JPEG: "JPEG", PNG: "PNG", GIF: "GIF", BMP: "BMP" };

// The choices of the posting form that the page shows, by field (the API's enum values).
export const CHOICES = {
  category: {
    GENERAL: "一般",
    GRADUATE: "学卒",
    SEASONAL: "季節",
    MIGRANT: "出稼ぎ",
    DISABILITY: "障害者",
  },
  workStyle: { FULL_TIME: "フルタイム", PART_TIME: "パート" },
  employmentType: {
    REGULAR: "正社員",
    NON_REGULAR: "正社員以外",
    DISPATCH: "派遣",
    FIXED_TERM_DISPATCH: "有期雇用派遣労働者",
    INDEFINITE_DISPATCH: "無期雇用派遣労働者",
    PART_TIMER: "パート労働者",
  },
  publicationRange: {
    WITH_NAME: "事業所名等を含む求人情報を公開する",
    WITHOUT_NAME: "事業所名等を含まない求人情報を公開する",
    NAME_TO_SEEKERS_ONLY: "ハローワークの求職者に限定公開する",
    NOT_PUBLISHED: "求人情報を公開しない",
  },
  employmentPeriod: { INDEFINITE: "雇用期間の定めなし", FIXED_TERM: "雇用期間の定めあり" },
  wageForm: { MONTHLY: "月給", DAILY: "日給", HOURLY: "時給" },
  weeklyTwoDaysOff: { EVERY_WEEK: "毎週", SOME_WEEKS: "その他（隔週など）", NONE: "なし" },
};

// The units of the whole numbers shown, as the printed 求人票 writes them.
export const UNITS = {
  workplaceEmployees: "人",
  numberToHire: "人",
  baseWageMin: "円",
  baseWageMax: "円",
  breakMinutes: "分",
  annualHolidays: "日",
  retirementAge: "歳",
};

// What a posting in the queue waits for: a submission, a change of an active posting, or a
// reserved renewal (the order `reviewQueue` itself uses for one posting).
export function postingWait(posting) {
  if (posting.status === "SUBMITTED") return "SUBMISSION";
  if (posting.changeRequestedAt) return "CHANGE";
  return "RENEWAL";
}

const POSTING_WAIT = {
  SUBMISSION: "求人（新規の申込み）",
  CHANGE: "求人（変更の申請）",
  RENEWAL: "求人（更新予約）",
};

// The ranks of `ReviewKind`, which break ties between equal moments as the queue does.
const RANK = {
  Posting: 0,
  EstablishmentImage: 1,
  EstablishmentChange: 2,
  EstablishmentPreRegistration: 3,
};
export const rank = (node) => RANK[node.__typename] ?? 4;

export function kindLabel(node) {
  switch (node.__typename) {
    case "Posting":
      return POSTING_WAIT[postingWait(node)];
    case "EstablishmentImage":
      return "画像";
    case "EstablishmentChange":
      return "事業所情報の変更";
    default:
      return "事業所の仮登録";
  }
}

export function establishmentName(node) {
  return node.establishment?.name ?? node.name ?? "";
}

// The content staff review: a waiting change or renewal, else the posting's content.
export function reviewedContent(posting) {
  const wait = postingWait(posting);
  if (wait === "CHANGE" && posting.pendingContent) return posting.pendingContent;
  if (wait === "RENEWAL" && posting.renewalContent) return posting.renewalContent;
  return posting.content;
}

export function itemTitle(node) {
  switch (node.__typename) {
    case "Posting":
      return reviewedContent(node).jobTitle || "（職種未入力）";
    case "EstablishmentImage":
      return node.caption || "（説明なし）";
    case "EstablishmentChange":
      return "登録内容の変更";
    default:
      return `受付番号 ${node.receiptNumber}`;
  }
}

// The moment an item started waiting, for one that arrived live (the queue's edges say it).
export function waitingSince(node, fallback) {
  switch (node.__typename) {
    case "Posting": {
      const wait = postingWait(node);
      if (wait === "SUBMISSION") return node.submittedAt ?? fallback;
      if (wait === "CHANGE") return node.changeRequestedAt ?? fallback;
      return node.renewalReservedAt ?? fallback;
    }
    case "EstablishmentImage":
      return node.uploadedAt ?? fallback;
    case "EstablishmentChange":
      return node.requestedAt ?? fallback;
    default:
      return node.verifiedAt ?? fallback;
  }
}

// How an item is named in the list and in the announcements.
export function itemLabel(node) {
  return `${kindLabel(node)} ${establishmentName(node)} ${itemTitle(node)}`.trim();
}
