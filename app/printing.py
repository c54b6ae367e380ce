"""The printed 求人票 (job posting form) and 紹介状 (referral letter) as PDFs: A4 portrait, in
IPAex Gothic, embedded.

`printed_form` lays a posting out as the form's eight sections and their rows, made from the
form's declarations (`app.models.posting_form.ITEMS`): an item added to the form is printed
without a change here. `printed_letter` lays out the referral letter of an application
(the letter, the person referred, and the employer's reply to the office). `render_kyujinhyo`
and `render_shokaijo` typeset them with ReportLab's platypus; they hold a core for a while, so
callers run them on the `PRINTING` threads.

The font is IPAex Gothic (IPA Font License v1.0) as the `matplotlib-fontja` package ships it:
TrueType outlines, which ReportLab embeds as a subset of the glyphs used.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.clock import TOKYO
from app.japanese import japanese_era_date
from app.models import Application, Establishment, Office, Posting
from app.models.posting_form import ITEMS, PostingForm, Section
from app.threads import CORES, ThreadLimit

# Typesetting a form takes a core for a few tenths of a second: a burst of prints queues for
# these threads instead of taking every core from the event loop.
PRINTING = ThreadLimit(max(1, CORES - 1))

TITLE = "求人票"
FOOTER = "ハローワークインターネットサービス 求人者マイページで作成"
NOT_ACCEPTED = "未受理"
"""求人番号 of a posting staff have not accepted yet."""
HIDDEN = "非公開"
"""What is printed instead of the establishment's identifying data (公開範囲 2)."""
LEFT_OUT = "—"
"""What is printed for an item left empty."""


@dataclass(frozen=True)
class PrintedSection:
    """One of the form's sections: its number (1–8), its title and its rows (label, text);
    an empty text is an item left out."""

    number: int
    title: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class PrintedForm:
    """Everything the printed 求人票 shows, as text."""

    posting_number: str
    """求人番号, or 「未受理」."""
    accepted_on: str
    """受付年月日; empty before acceptance."""
    referral_deadline: str
    """紹介期限日; empty before acceptance."""
    establishment_name: str
    """事業所名, or 「非公開」."""
    establishment_number: str | None
    """事業所番号; None when the establishment is not named."""
    office_name: str
    """The establishment's Hello Work office (管轄安定所)."""
    sections: list[PrintedSection]


# --- What a posting prints -------------------------------------------------------------------

# The posting's own 事業内容 and 会社の特長, where filled, stand for the establishment's.
_OWN_ESTABLISHMENT_ITEMS = frozenset(
    {PostingForm.business_content.name, PostingForm.company_features.name}
)
# The items that would name or locate the establishment, withheld as its name is (公開範囲 2).
_IDENTIFYING_ITEMS = frozenset(
    {
        PostingForm.workplace_postal_code.name,
        PostingForm.workplace_address.name,
        PostingForm.nearest_station.name,
        PostingForm.contact.name,
    }
)


def printed_form(
    posting: Posting,
    content: PostingForm,
    establishment: Establishment,
    office: Office,
    *,
    shows_name: bool,
) -> PrintedForm:
    """The posting's `content` as its 求人票 prints it: every item of the form in its section,
    the establishment's own data first in 2 事業所情報; without `shows_name`, nothing that
    names or locates the establishment (「非公開」 instead)."""
    rows: dict[Section, list[tuple[str, str]]] = {section: [] for section in Section}
    rows[Section.ESTABLISHMENT] += _establishment_rows(establishment, content, shows_name)
    for item in ITEMS:
        if item.name in _OWN_ESTABLISHMENT_ITEMS:
            continue
        assert item.section is not None, "an item of the form sits in a section"
        if not shows_name and item.name in _IDENTIFYING_ITEMS:
            text = HIDDEN
        else:
            text = item.display(getattr(content, item.name))
        rows[item.section].append((item.label, text))
    return PrintedForm(
        posting_number=posting.posting_number or NOT_ACCEPTED,
        accepted_on=_era(
            posting.accepted_at.astimezone(TOKYO).date() if posting.accepted_at else None
        ),
        referral_deadline=_era(posting.referral_deadline),
        establishment_name=establishment.name if shows_name else HIDDEN,
        establishment_number=establishment.number if shows_name else None,
        office_name=office.name,
        sections=[
            PrintedSection(number, section.label, rows[section])
            for number, section in enumerate(Section, start=1)
        ],
    )


def _establishment_rows(
    establishment: Establishment, content: PostingForm, shows_name: bool
) -> list[tuple[str, str]]:
    """The establishment's own data (事業所情報), as registered and approved."""

    def identifying(text: str) -> str:
        return text if shows_name else HIDDEN

    address = f"〒{establishment.postal_code} {establishment.address}"
    representative = f"{establishment.representative_title} {establishment.representative_name}"
    return [
        ("事業所名", identifying(establishment.name)),
        ("事業所名 (フリガナ)", identifying(establishment.name_kana)),
        ("所在地", identifying(address)),
        ("電話番号", identifying(establishment.phone_number)),
        (
            PostingForm.business_content.label,
            content.business_content or establishment.business_content,
        ),
        (PostingForm.company_features.label, content.company_features or establishment.features),
        ("代表者", identifying(representative.strip())),
        ("従業員数 (企業全体)", _amount(establishment.employee_count, "人")),
        ("設立年", _amount(establishment.founded_year, "年", grouped=False)),
        ("資本金", _amount(establishment.capital_yen, "円")),
        ("ホームページ", identifying(establishment.website)),
    ]


def _amount(value: int | None, unit: str, *, grouped: bool = True) -> str:
    if value is None:
        return ""
    return f"{value:,}{unit}" if grouped else f"{value}{unit}"


def _era(day: dt.date | None) -> str:
    return japanese_era_date(day) if day else ""


# --- What a referral letter prints -----------------------------------------------------------

LETTER_TITLE = "紹介状"
LETTER_GREETING = "下記の方を紹介いたします。ご面接のうえ、選考結果を下欄によりお知らせください。"
REPLY_TITLE = "選考結果のご連絡（事業所記入欄）"
REPLY_NOTE = (
    "選考結果は、求人者マイページの「選考結果登録」からご登録いただくか、"
    "この欄にご記入のうえ紹介元のハローワークへお知らせください。"
)
_BLANK = "\u00a0" * 6
"""Room to write in: no-break spaces, which ReportLab keeps as they are (it collapses others)."""
_BLANK_DATE = f"{_BLANK}年{_BLANK}月{_BLANK}日"
_BLANK_LINES = f"{_BLANK}\n{_BLANK}\n{_BLANK}"
REPLY_ROWS = (
    ("採否", "採用　・　不採用　・　応募者辞退　・　選考中"),
    ("採用予定日", _BLANK_DATE),
    ("労働条件の相違", f"なし　・　あり（内容：{_BLANK * 8}）"),
    ("不採用の理由", _BLANK_LINES),
    ("ご記入日", _BLANK_DATE),
    ("ご担当者", f"{_BLANK}\n{_BLANK}"),
)
"""The reply the employer writes by hand: the choices to circle and the blanks to fill."""


@dataclass(frozen=True)
class PrintedLetter:
    """Everything the printed 紹介状 shows, as text."""

    letter_number: str
    """紹介状番号"""
    referred_on: str
    """紹介日, in the Japanese era and the western calendar"""
    office_name: str
    """The office that referred (紹介安定所)."""
    office_code: str
    """安定所番号"""
    establishment_name: str
    establishment_number: str
    posting_number: str
    """求人番号"""
    job_title: str
    """職種"""
    seeker_name: str
    """氏名"""
    seeker_kana: str
    """氏名カナ"""
    seeker_age: str
    """年齢, as 「34歳」; empty when not known"""
    note: str
    """紹介状の記載事項"""


def printed_letter(
    application: Application,
    posting: Posting,
    content: PostingForm,
    establishment: Establishment,
    office: Office,
    *,
    name: str,
    kana: str,
    age: int | None,
) -> PrintedLetter:
    """The referral letter of `application` (to `posting`, whose `content` shows now) from
    the referring `office` to `establishment`, for the person `name` (`kana`, `age`)."""
    day = application.created_at.astimezone(TOKYO).date()
    return PrintedLetter(
        letter_number=application.referral_letter_number or "",
        referred_on=f"{_era(day)}（{day.year}年{day.month}月{day.day}日）",
        office_name=office.name,
        office_code=office.code,
        establishment_name=establishment.name,
        establishment_number=establishment.number,
        posting_number=posting.posting_number or NOT_ACCEPTED,
        job_title=content.job_title or "",
        seeker_name=name,
        seeker_kana=kana,
        seeker_age=f"{age}歳" if age is not None else "",
        note=application.referral_note,
    )


# --- Typesetting -----------------------------------------------------------------------------

FONT = "IPAexGothic"
_font_lock = threading.Lock()

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 46 * mm
HEADER_LABEL_WIDTH = 30 * mm
SECTION_START_HEIGHT = 25 * mm
"""The least room a section starts in: its heading and a row or two."""
REPLY_HEIGHT = 75 * mm
"""The room the letter's reply takes: it is not split from its heading or its note."""
PIECE_LINES = 12
PIECE_CHARACTERS = 600
"""A text is set in table rows of at most this many lines and characters (`_pieces`)."""
RULE = colors.HexColor("#4d4d4d")
HEADING_SHADE = colors.HexColor("#d9e2ec")
LABEL_SHADE = colors.HexColor("#f2f4f7")

_TITLE_STYLE = ParagraphStyle(
    "title", fontName=FONT, fontSize=20, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm
)
_ADDRESSEE_STYLE = ParagraphStyle("addressee", fontName=FONT, fontSize=13, leading=18)
_BODY_STYLE = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
_SENDER_STYLE = ParagraphStyle(
    "sender", fontName=FONT, fontSize=10, leading=15, alignment=TA_RIGHT, wordWrap="CJK"
)
_HEADING_STYLE = ParagraphStyle("heading", fontName=FONT, fontSize=11, leading=15)
_LABEL_STYLE = ParagraphStyle("label", fontName=FONT, fontSize=8.5, leading=11.5, wordWrap="CJK")
_TEXT_STYLE = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")


def font_path() -> Path:
    """IPAex Gothic, from the `matplotlib-fontja` package."""
    # Found, not imported: importing the package would import matplotlib.
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the font package matplotlib-fontja is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


def _register_font() -> None:
    # Reading the font takes a while and ReportLab's registry is global: once per process.
    # Before any paragraph is made: a paragraph looks its font up as it is made.
    with _font_lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(font_path())))


def render_kyujinhyo(form: PrintedForm) -> bytes:
    """The printed 求人票: A4 portrait, the title, the header, then each section as a table
    of its rows (label | text) that flows onto further pages; page numbers and the footer on
    every page."""
    _register_font()
    story: list[Flowable] = [Paragraph(TITLE, _TITLE_STYLE), _header(form), Spacer(0, 4 * mm)]
    for section in form.sections:
        # A heading is not left alone at the foot of a page.
        story += [
            CondPageBreak(SECTION_START_HEIGHT),
            _section(f"{section.number}　{section.title}", section.rows),
            Spacer(0, 3 * mm),
        ]
    return _build(
        story,
        document_title=f"{TITLE} {form.posting_number}",
        running_head=f"{TITLE}　求人番号 {form.posting_number}",
    )


def render_shokaijo(letter: PrintedLetter) -> bytes:
    """The printed 紹介状: the title, the establishment addressed, the date and the office
    that refers; the referral (number, posting, job), the person referred, the office's note,
    and the reply for the employer to fill in (採否 and the rest)."""
    _register_font()
    office = f"{letter.office_name}（安定所番号 {letter.office_code}）"
    story: list[Flowable] = [
        Paragraph(LETTER_TITLE, _TITLE_STYLE),
        _paragraph(f"{letter.establishment_name}　御中", _ADDRESSEE_STYLE),
        _paragraph(f"紹介日　{letter.referred_on}\n{office}", _SENDER_STYLE),
        Spacer(0, 3 * mm),
        _paragraph(LETTER_GREETING, _BODY_STYLE),
        Spacer(0, 3 * mm),
        _section(
            "紹介の内容",
            [
                ("紹介状番号", letter.letter_number),
                ("紹介日", letter.referred_on),
                ("紹介安定所", office),
                ("事業所名", letter.establishment_name),
                ("事業所番号", letter.establishment_number),
                ("求人番号", letter.posting_number),
                ("職種", letter.job_title),
            ],
        ),
        Spacer(0, 3 * mm),
        CondPageBreak(SECTION_START_HEIGHT),
        _section(
            "紹介する方",
            [
                ("氏名", letter.seeker_name),
                ("氏名 (フリガナ)", letter.seeker_kana),
                ("年齢", letter.seeker_age),
            ],
        ),
        Spacer(0, 3 * mm),
        CondPageBreak(SECTION_START_HEIGHT),
        _section("紹介状の記載事項", [("記載事項", letter.note)]),
        Spacer(0, 6 * mm),
        CondPageBreak(REPLY_HEIGHT),
        _section(REPLY_TITLE, list(REPLY_ROWS)),
        Spacer(0, 2 * mm),
        _paragraph(REPLY_NOTE, _LABEL_STYLE),
    ]
    number = letter.letter_number or LEFT_OUT
    return _build(
        story,
        document_title=f"{LETTER_TITLE} {number}",
        running_head=f"{LETTER_TITLE}　紹介状番号 {number}",
    )


def _build(story: list[Flowable], *, document_title: str, running_head: str) -> bytes:
    """`story` set on A4 pages with the running head, the footer and page numbers."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=document_title,
        creator=FOOTER,
        lang="ja",
    )
    document.build(story, canvasmaker=functools.partial(_NumberedCanvas, running_head=running_head))
    return out.getvalue()


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """`text` as it was written: markup escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _header(form: PrintedForm) -> Table:
    value_width = (CONTENT_WIDTH - 2 * HEADER_LABEL_WIDTH) / 2

    def cells(*pairs: tuple[str, str]) -> list[Paragraph | str]:
        row: list[Paragraph | str] = []
        for label, text in pairs:
            row += [_paragraph(label, _LABEL_STYLE), _paragraph(text or LEFT_OUT, _TEXT_STYLE)]
        return row + [""] * (4 - len(row))

    rows = [
        cells(("求人番号", form.posting_number), ("受付年月日", form.accepted_on)),
        cells(("紹介期限日", form.referral_deadline), ("管轄ハローワーク", form.office_name)),
        cells(("事業所名", form.establishment_name)),
    ]
    if form.establishment_number is not None:
        rows.append(cells(("事業所番号", form.establishment_number)))
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), LABEL_SHADE),
            ("BACKGROUND", (2, 0), (2, 1), LABEL_SHADE),
            # 事業所名 and 事業所番号 take the whole width.
            *[("SPAN", (1, row), (3, row)) for row in range(2, len(rows))],
        ]
    )
    widths = [HEADER_LABEL_WIDTH, value_width, HEADER_LABEL_WIDTH, value_width]
    return Table(rows, colWidths=widths, style=style)


def _section(heading_text: str, section_rows: list[tuple[str, str]]) -> Table:
    """A heading over its rows (label | text). A long text takes several table rows, ruled as
    one (see `_pieces`), and a part of the table continued on the next page is closed and
    opened with a rule like the whole."""
    heading = _paragraph(heading_text, _HEADING_STYLE)
    rows: list[list[Paragraph | str]] = [[heading, ""]]
    commands: list[tuple[Any, ...]] = []
    for label, text in section_rows:
        pieces = _pieces(text or LEFT_OUT)
        first, last = len(rows), len(rows) + len(pieces) - 1
        commands.append(("LINEABOVE", (0, first), (-1, first), 0.5, RULE))
        if len(pieces) > 1:
            commands += [
                ("BOTTOMPADDING", (1, first), (1, last - 1), 0),
                ("TOPPADDING", (1, first + 1), (1, last), 0),
            ]
        rows += [
            [_paragraph(label, _LABEL_STYLE) if number == 0 else "", _paragraph(piece, _TEXT_STYLE)]
            for number, piece in enumerate(pieces)
        ]
    # (Typed loosely: the stubs put a special row, `splitlast`, in the column's place.)
    style: list[tuple[Any, ...]] = [
        ("SPAN", (0, 0), (1, 0)),
        ("BACKGROUND", (0, 0), (1, 0), HEADING_SHADE),
        ("BACKGROUND", (0, 1), (0, -1), LABEL_SHADE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("LINEAFTER", (0, 1), (0, -1), 0.5, RULE),
        ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), 0.5, RULE),
        ("LINEABOVE", (0, "splitfirst"), (-1, "splitfirst"), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        *commands,
    ]
    return Table(
        rows, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH], style=TableStyle(style)
    )


def _pieces(text: str) -> list[str]:
    """`text` cut at line breaks into pieces of at most `PIECE_LINES` lines and
    `PIECE_CHARACTERS` characters (a longer line is cut too), each far shorter than a page.

    A table row cannot be taller than a page, and ReportLab's split within a row leaves empty
    slivers of rows at the foot of pages; rows this short split between each other only.
    """
    lines = [
        line[start : start + PIECE_CHARACTERS]
        for line in text.split("\n")
        for start in range(0, max(len(line), 1), PIECE_CHARACTERS)
    ]
    pieces: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pieces[-1] and (len(pieces[-1]) == PIECE_LINES or size + len(line) > PIECE_CHARACTERS):
            pieces.append([])
            size = 0
        pieces[-1].append(line)
        size += len(line)
    return ["\n".join(piece) for piece in pieces]


class _NumberedCanvas(Canvas):
    """Draws each page's running head, footer and 「n / N」 once the page count is known:
    the pages are kept until the document is saved."""

    def __init__(self, *args: Any, running_head: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running_head = running_head
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        # Keep the page and start the next one, as `Canvas.showPage` would after drawing it.
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own, not in its stubs

    def save(self) -> None:
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._decorate(number, len(self._pages))
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        self.saveState()
        self.setFont(FONT, 8)
        self.setFillColor(RULE)
        top = PAGE_HEIGHT - MARGIN
        self.drawRightString(PAGE_WIDTH - MARGIN, top, self._running_head)
        self.drawString(MARGIN, MARGIN, FOOTER)
        self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"{number} / {total}")
        self.restoreState()
