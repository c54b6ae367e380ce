"""`GET /exports/applications.csv?posting=<Posting global id>`: the applicants and their results
as a CSV file that Excel opens as it is (UTF-8 with a BOM, CRLF line ends, Japanese headers).

Who may have which export is `app.resolvers.exports`; the viewer is found and throttled as for
every file route (`app.file_routes`), and a posting the viewer may not
export is not there (404). The body is streamed a page of rows at a time. A cell that a
spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) is
written with a leading apostrophe, so that it stays text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from strawberry import relay

from app.clock import TOKYO
from app.file_routes import (
    CACHE_CONTROL,
    TokenOf,
    authenticated_viewer,
    content_disposition,
    global_row_id,
    not_found,
)
from app.models.applications import (
    NOTICE_LABELS,
    REJECTION_LABELS,
    RESULT_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    ReportedResult,
)
from app.resolvers import exports
from app.resolvers.exports import ApplicationExport, ExportRow

PATH = "/exports/applications.csv"

K = TypeVar("K")

FILE_TITLE = "応募者一覧"

NOT_REPORTED = "未報告"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (CSV injection)."""


def _day(moment: dt.datetime | dt.date | None) -> str:
    """A day as Excel reads one, 2026/11/25; a moment's day in Tokyo."""
    if moment is None:
        return ""
    day = moment.astimezone(TOKYO).date() if isinstance(moment, dt.datetime) else moment
    return f"{day:%Y/%m/%d}"


def _conditions_differ(row: ExportRow) -> str:
    if row.application.reported_result is not ReportedResult.HIRED:
        return ""
    return "あり" if row.application.conditions_differ else "なし"


def _label(labels: Mapping[K, str], key: K | None) -> str:
    return labels[key] if key is not None else ""


COLUMNS: tuple[tuple[str, Callable[[ExportRow], str]], ...] = (
    ("応募ID", lambda r: relay.to_base64("Application", r.application.id)),
    ("求人番号", lambda r: r.posting_number),
    ("職種", lambda r: r.job_title),
    ("応募日", lambda r: _day(r.application.created_at)),
    ("応募経路", lambda r: SOURCE_LABELS[r.application.source]),
    ("紹介状番号", lambda r: r.application.referral_letter_number or ""),
    ("氏名", lambda r: r.person.name),
    ("氏名カナ", lambda r: r.person.kana),
    ("年齢", lambda r: str(r.person.age) if r.person.age is not None else ""),
    ("都道府県", lambda r: r.person.prefecture),
    ("市区町村", lambda r: r.person.city),
    ("電話番号", lambda r: r.person.phone),
    ("メールアドレス", lambda r: r.person.email),
    ("マイページ", lambda r: "あり" if r.person.has_my_page else "なし"),
    ("選考状況", lambda r: STATUS_LABELS[r.application.status]),
    (
        "結果報告",
        lambda r: _label(RESULT_LABELS, r.application.reported_result) or NOT_REPORTED,
    ),
    ("採用予定日", lambda r: _day(r.application.hire_date)),
    ("労働条件の相違", _conditions_differ),
    ("不採用理由", lambda r: _label(REJECTION_LABELS, r.application.rejection_reason)),
    ("不採用理由等の記載", lambda r: r.application.result_note),
    ("結果報告日", lambda r: _day(r.application.reported_at)),
    ("結果連絡日", lambda r: _day(r.application.notified_at)),
    ("連絡方法", lambda r: _label(NOTICE_LABELS, r.application.notified_method)),
)
"""The columns of the export, in order: the header and how a row fills the cell."""

HEADERS = tuple(header for header, _ in COLUMNS)


def applications_export_path(posting_global_id: str | None = None) -> str:
    """Where the export of a posting's applicants (of all of them, without one) is had."""
    return f"{PATH}?{urlencode({'posting': posting_global_id})}" if posting_global_id else PATH


def safe_cell(text: str) -> str:
    """`text` as a spreadsheet shows it as text, never running it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[str]]) -> bytes:
    """`rows` as CSV lines (Excel's dialect: quoted where needed, CRLF), in UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


async def _body(export: ApplicationExport) -> AsyncIterator[bytes]:
    yield codecs.BOM_UTF8 + csv_lines([HEADERS])
    async for page in exports.export_pages(export):
        yield csv_lines([cell(row) for _, cell in COLUMNS] for row in page)


def _content_disposition(export: ApplicationExport) -> str:
    """The file's name in UTF-8 (RFC 6266 `filename*`), and in ASCII for older clients."""
    of = export.posting_number or (str(export.posting_id) if export.posting_id else None)
    day = f"{export.today:%Y%m%d}"
    name = f"{FILE_TITLE}_{of or '全求人'}_{day}.csv"
    return content_disposition("attachment", name, f"applications-{of or 'all'}-{day}.csv")


def applications_csv(token_of: TokenOf) -> Callable[[Request], Awaitable[Response]]:
    """The export endpoint."""

    async def serve(request: Request) -> Response:
        viewer = await authenticated_viewer(request, token_of)
        if isinstance(viewer, Response):
            return viewer
        given = request.query_params.get("posting")
        posting_id = global_row_id(given, "Posting") if given is not None else None
        if given is not None and posting_id is None:
            return not_found()
        export = await exports.open_export(request.app.state.runtime, viewer, posting_id)
        if export is None:
            return not_found()
        return StreamingResponse(
            _body(export),
            media_type="text/csv",
            headers={
                "Content-Disposition": _content_disposition(export),
                "Cache-Control": CACHE_CONTROL,
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve
