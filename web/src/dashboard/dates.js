// The one way the dashboard and the counter page write a day or a moment: in Asia/Tokyo, with
// the Japanese era as the printed 求人票 and Hello Work's leaflets do — 「令和8年12月1日」 and
// 「令和8年12月1日 18:12」 (24-hour clock). A `<time>` element keeps the ISO value in its
// `datetime` for machines; people read this.

const ERA = { timeZone: "Asia/Tokyo", era: "long", year: "numeric", month: "long", day: "numeric" };

const dateTime = new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
  ...ERA,
  hour: "numeric",
  minute: "2-digit",
  hourCycle: "h23",
});
const dateOnly = new Intl.DateTimeFormat("ja-JP-u-ca-japanese", ERA);

// A GraphQL DateTime (an ISO moment), as 「令和8年12月1日 18:12」.
export const formatTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "");

// A GraphQL Date is a day in Asia/Tokyo (noon there falls on that day), as 「令和8年12月1日」.
export const formatDate = (day) => (day ? dateOnly.format(new Date(`${day}T12:00:00+09:00`)) : "");
