// 事業所を探す: the establishments of the staff member's office by number, name, kana or phone.
import { $, element, graphql } from "../dashboard/page.js";

const RESULTS = 20;

const SEARCH = `query CounterEstablishmentSearch($search: String!, $first: Int!) {
  establishments(search: $search, first: $first) {
    totalCount
    edges { node { id establishmentNumber name nameKana phoneNumber } }
  }
}`;

const state = { busy: false };

function resultRow(establishment) {
  const row = element("tr");
  row.dataset.establishmentId = establishment.id;
  const number = element("th", establishment.establishmentNumber);
  number.scope = "row";
  row.append(
    number,
    element("td", establishment.name),
    element("td", establishment.nameKana),
    element("td", establishment.phoneNumber),
  );
  return row;
}

async function search(event) {
  event.preventDefault();
  if (state.busy) return;
  const field = $("search");
  const text = field.value.trim();
  $("search-errors").textContent = "";
  field.removeAttribute("aria-invalid");
  if (!text) {
    $("search-errors").textContent =
      "検索する事業所番号・名称・フリガナ・電話番号を入力してください。";
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return;
  }
  state.busy = true;
  try {
    const { establishments } = await graphql(SEARCH, { search: text, first: RESULTS });
    const found = establishments.edges.map((edge) => edge.node);
    const summary = $("search-summary");
    summary.textContent = found.length
      ? `「${text}」の検索結果：${establishments.totalCount} 件` +
        (establishments.totalCount > found.length ? `（${found.length} 件を表示）` : "")
      : `「${text}」に当てはまる事業所はありません。`;
    summary.hidden = false;
    $("search-results").replaceChildren(...found.map(resultRow));
    $("search-table").hidden = found.length === 0;
  } catch (error) {
    $("search-errors").textContent = error.message;
  } finally {
    state.busy = false;
  }
}

export function setUpSearch() {
  $("search-form").addEventListener("submit", search);
}

export function resetSearch() {
  $("search").value = "";
  $("search-errors").textContent = "";
  $("search-summary").hidden = true;
  $("search-results").replaceChildren();
  $("search-table").hidden = true;
}
