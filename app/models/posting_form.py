"""The posting form (求人票): each item declared once, in the form's order.

An item's declaration says what it is called (its label, used in messages and on the printed
form), which of the form's eight sections it sits in, whether it must be filled in before the
posting is submitted, its kind and limits, and how the API describes it. The posting's columns
(`PostingFormColumns`), the checks of the form (`app.resolvers.posting_check`), the printed
form (`app.printing`) and its GraphQL input and output types (`app.schema.postings`) are all
made from these declarations: adding an item is one line in `PostingForm`, and a migration for
its column.

Items are entered in two steps, as on Hello Work's own form. Saving a draft (一時保存) stores any
well-formed value, complete or not; what is missing or breaks a rule is found by the check and
refused at submission (仮登録). So an item added to the form is required when a posting is next
submitted, never on what is already active.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from types import GenericAlias
from typing import Any, Generic, Literal, Self, TypedDict, TypeVar, Unpack, cast, overload

from tortoise import fields

T = TypeVar("T")
E = TypeVar("E", bound="Labelled")
G = TypeVar("G")


class Labelled(StrEnum):
    """A choice of the form, with the Japanese label the form and the printed 求人票 show."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def of(cls, value: str) -> Self:
        """The member whose value is `value`."""
        return cls._value2member_map_[value]  # type: ignore[return-value]


# --- What the items choose from ------------------------------------------------------------


class PostingCategory(Labelled):
    """求人区分."""

    GENERAL = "GENERAL", "一般"
    """一般 (general)."""
    GRADUATE = "GRADUATE", "大卒等 (新卒・既卒)"
    """大卒等 (new and recent graduates: 新卒・既卒), valid to 31 March of the school year."""
    SEASONAL = "SEASONAL", "季節"
    """季節 (seasonal work)."""
    MIGRANT = "MIGRANT", "出稼ぎ"
    """出稼ぎ (migrant work, away from home)."""
    DISABILITY = "DISABILITY", "障害者"
    """障害者 (for persons with disabilities only)."""


class WorkStyle(Labelled):
    """フルタイム / パート: decided by the working hours, not by the contract."""

    FULL_TIME = "FULL_TIME", "フルタイム"
    """フルタイム (full-time)."""
    PART_TIME = "PART_TIME", "パート"
    """パート (part-time): fewer hours a week than the establishment's full-time workers."""


class EmploymentType(Labelled):
    """雇用形態."""

    REGULAR = "REGULAR", "正社員"
    """正社員 (regular employee)."""
    NON_REGULAR = "NON_REGULAR", "正社員以外"
    """正社員以外 (non-regular employee: contract, temporary …)."""
    DISPATCH = "DISPATCH", "派遣 (有期か無期かを選び直してください)"
    """派遣 (dispatched worker): an earlier value, to choose again as fixed-term or indefinite."""
    FIXED_TERM_DISPATCH = "FIXED_TERM_DISPATCH", "有期雇用派遣労働者"
    """有期雇用派遣労働者 (dispatched worker on a fixed-term contract with the agency)."""
    INDEFINITE_DISPATCH = "INDEFINITE_DISPATCH", "無期雇用派遣労働者"
    """無期雇用派遣労働者 (dispatched worker on an indefinite contract with the agency)."""
    PART_TIMER = "PART_TIMER", "パート労働者"
    """パート労働者 (part-time worker)."""


DISPATCH_TYPES = frozenset(
    {
        EmploymentType.DISPATCH,
        EmploymentType.FIXED_TERM_DISPATCH,
        EmploymentType.INDEFINITE_DISPATCH,
    }
)


class EmploymentPeriod(Labelled):
    """雇用期間."""

    INDEFINITE = "INDEFINITE", "雇用期間の定めなし"
    """雇用期間の定めなし (no fixed term)."""
    FIXED_TERM = "FIXED_TERM", "雇用期間の定めあり"
    """雇用期間の定めあり (a fixed term, given in the detail)."""


class WageForm(Labelled):
    """賃金形態."""

    MONTHLY = "MONTHLY", "月給"
    """月給 (monthly wage)."""
    DAILY = "DAILY", "日給"
    """日給 (daily wage)."""
    HOURLY = "HOURLY", "時給"
    """時給 (hourly wage)."""


class Insurance(Labelled):
    """加入保険等, as ticked on the posting form."""

    EMPLOYMENT = "EMPLOYMENT", "雇用保険"
    """雇用保険 (employment insurance)."""
    WORKERS_ACCIDENT = "WORKERS_ACCIDENT", "労災保険"
    """労災保険 (workers' accident compensation insurance)."""
    PUBLIC_SERVICE_ACCIDENT = "PUBLIC_SERVICE_ACCIDENT", "公務災害補償"
    """公務災害補償 (accident compensation for public servants)."""
    HEALTH = "HEALTH", "健康保険"
    """健康保険 (health insurance)."""
    PENSION = "PENSION", "厚生年金"
    """厚生年金 (employees' pension insurance)."""
    ASSET_FORMATION = "ASSET_FORMATION", "財形"
    """財形 (employees' asset-formation savings)."""


class WeeklyTwoDaysOff(Labelled):
    """週休二日制."""

    EVERY_WEEK = "EVERY_WEEK", "毎週"
    """毎週 (every week)."""
    SOME_WEEKS = "SOME_WEEKS", "その他 (隔週など)"
    """その他 (some weeks: every other week …)."""
    NONE = "NONE", "なし"
    """なし (none)."""


class PublicationRange(Labelled):
    """公開範囲: the four options of Hello Work's form, in its order."""

    WITH_NAME = "WITH_NAME", "事業所名等を含む求人情報を公開する"
    """1 事業所名等を含む求人情報を公開 (published with the establishment's name)."""
    WITHOUT_NAME = "WITHOUT_NAME", "事業所名等を含まない求人情報を公開する"
    """2 事業所名等を含まない求人情報を公開 (published without the establishment's name)."""
    NAME_TO_SEEKERS_ONLY = "NAME_TO_SEEKERS_ONLY", "ハローワークの求職者に限定公開する"
    """3 ハローワークの求職者に限定公開 (only to seekers with a My Page, who see the name)."""
    NOT_PUBLISHED = "NOT_PUBLISHED", "求人情報を公開しない"
    """4 求人情報を公開しない (not published: referral at the counter only)."""


ONLINE_APPLICATION_RANGES = frozenset({PublicationRange.WITH_NAME, PublicationRange.WITHOUT_NAME})
"""The publication ranges under which seekers may apply online (オンライン自主応募)."""


class AgeLimitReason(Labelled):
    """年齢制限の例外事由 (労働施策総合推進法施行規則第1条の3第1項)."""

    ITEM_1 = (
        "ITEM_1",
        "1号 (定年年齢を上限に、その上限年齢未満の者を期間の定めのない契約で募集)",
    )
    """1号 (item 1): under the retirement age, on an indefinite contract."""
    ITEM_2 = "ITEM_2", "2号 (法令の規定により年齢制限が設けられている)"
    """2号 (item 2): an age limit set by law."""
    ITEM_3_I = (
        "ITEM_3_I",
        "3号イ (長期勤続によるキャリア形成のため若年者等を期間の定めのない契約で募集)",
    )
    """3号イ (item 3 i): young people, for a long career, on an indefinite contract."""
    ITEM_3_RO = "ITEM_3_RO", "3号ロ (技能・ノウハウの継承のため特定の職種で特定の年齢層を募集)"
    """3号ロ (item 3 ro): an age group of a trade, to hand on skills and know-how."""
    ITEM_3_HA = "ITEM_3_HA", "3号ハ (芸術・芸能の分野における表現の真実性等の要請)"
    """3号ハ (item 3 ha): the authenticity of a role in the arts or entertainment."""
    ITEM_3_NI = (
        "ITEM_3_NI",
        "3号ニ (60歳以上の高年齢者または国の施策の対象となる特定の年齢層を募集)",
    )
    """3号ニ (item 3 ni): people of 60 or over, or an age group a national programme helps."""


class SmokingMeasure(Labelled):
    """受動喫煙対策 (健康増進法, required on postings since 2020)."""

    NO_SMOKING_INDOORS = "NO_SMOKING_INDOORS", "屋内禁煙"
    """屋内禁煙 (no smoking indoors)."""
    SMOKING_ROOM = "SMOKING_ROOM", "喫煙室設置 (屋内原則禁煙)"
    """喫煙室設置 (a smoking room; otherwise no smoking indoors)."""
    NO_SMOKING_ON_PREMISES = "NO_SMOKING_ON_PREMISES", "敷地内禁煙"
    """敷地内禁煙 (no smoking on the premises)."""
    SMOKING_ALLOWED = "SMOKING_ALLOWED", "屋内喫煙可"
    """屋内喫煙可 (smoking allowed indoors)."""
    OTHER = "OTHER", "その他"
    """その他 (other, given in the detail)."""


class RenewalPossibility(Labelled):
    """契約更新の可能性."""

    AUTOMATIC = "AUTOMATIC", "原則更新"
    """原則更新 (renewed as a rule)."""
    CONDITIONAL = "CONDITIONAL", "条件付きで更新あり"
    """条件付きで更新あり (may be renewed, on conditions)."""
    NONE = "NONE", "更新なし"
    """更新なし (not renewed)."""


class EducationLevel(Labelled):
    """学歴."""

    ANY = "ANY", "不問"
    """不問 (any schooling)."""
    HIGH_SCHOOL = "HIGH_SCHOOL", "高校以上"
    """高校以上 (high school or higher)."""
    VOCATIONAL = "VOCATIONAL", "専修学校以上"
    """専修学校以上 (vocational school or higher)."""
    JUNIOR_COLLEGE = "JUNIOR_COLLEGE", "短大・高専以上"
    """短大・高専以上 (junior or technical college or higher)."""
    UNIVERSITY = "UNIVERSITY", "大学以上"
    """大学以上 (university or higher)."""
    GRADUATE_SCHOOL = "GRADUATE_SCHOOL", "大学院以上"
    """大学院以上 (graduate school)."""


class CommutePay(Labelled):
    """通勤手当."""

    ACTUAL = "ACTUAL", "実費支給 (上限なし)"
    """実費支給 上限なし (the actual cost, without a cap)."""
    CAPPED = "CAPPED", "実費支給 (上限あり)"
    """実費支給 上限あり (the actual cost, up to a cap)."""
    FIXED = "FIXED", "定額"
    """定額 (a fixed amount)."""
    NONE = "NONE", "なし"
    """なし (none)."""


class VariableHours(Labelled):
    """変形労働時間制."""

    NONE = "NONE", "なし"
    """なし (none)."""
    WEEKLY = "WEEKLY", "1週間単位"
    """1週間単位 (averaged over a week)."""
    MONTHLY = "MONTHLY", "1か月単位"
    """1か月単位 (averaged over a month)."""
    YEARLY = "YEARLY", "1年単位"
    """1年単位 (averaged over a year)."""
    FLEXTIME = "FLEXTIME", "フレックスタイム制"
    """フレックスタイム制 (flextime)."""


class ResultNotice(Labelled):
    """選考結果通知の方法."""

    MAIL = "MAIL", "郵送"
    """郵送 (by post)."""
    PHONE = "PHONE", "電話"
    """電話 (by phone)."""
    EMAIL = "EMAIL", "メール"
    """メール (by e-mail)."""
    MY_PAGE = "MY_PAGE", "求職者マイページ"
    """求職者マイページ (on the seeker's My Page)."""


# --- The sections --------------------------------------------------------------------------


class Section(Labelled):
    """The eight sections of Hello Work's form, in its order."""

    CATEGORY = "CATEGORY", "求人区分等"
    """1 求人区分等 (category, work style, employment type, publication)."""
    ESTABLISHMENT = "ESTABLISHMENT", "事業所情報"
    """2 事業所情報 (the establishment)."""
    JOB = "JOB", "仕事内容"
    """3 仕事内容 (the job and the workplace)."""
    WAGES = "WAGES", "賃金・手当"
    """4 賃金・手当 (wages and allowances)."""
    HOURS = "HOURS", "労働時間"
    """5 労働時間 (working hours, holidays and overtime)."""
    INSURANCE = "INSURANCE", "保険・年金・定年等"
    """6 保険・年金・定年等 (insurance, pension and retirement)."""
    PR = "PR", "求人PR"
    """7 求人PR (the posting's PR)."""
    SELECTION = "SELECTION", "選考方法"
    """8 選考方法 (selection)."""


# --- The kinds of item ---------------------------------------------------------------------


class Texts(TypedDict, total=False):
    """How an item is described, besides its label."""

    described: bool
    """False: no description, in the API or on the column."""
    description: str
    """What the API's output and the column say of the item: its label unless given."""
    comment: str
    """The column's comment, where it differs from the description."""
    hint: str
    """What the API's input says of the item, to the employer filling it in."""
    required_when: str
    """When an item not always required must be filled in (the check's rule), in Japanese."""


def _none() -> None:
    return None


class Item(ABC, Generic[T]):
    """One item of the form, declared as an attribute of `PostingForm` (or a part of a group
    item, declared on its dataclass with `part`).

    Read on an instance of the form (the resolver's content, a posting row) it is the item's
    value: the instance holds the value itself, and `__get__` tells the type checker its type.

    `required` items must be filled in before the posting is submitted. `sent` items are those
    the form has had from its first version: clients always send them, and their columns have
    no default. Every later item may be left out, and reads as empty on what was stored before.
    """

    name: str
    """The attribute: also the column, and in camelCase the GraphQL field."""
    section: Section | None
    """None for a part of a group item."""
    label: str
    """The item's Japanese name, as messages and the printed form call it."""
    required: bool
    sent: bool
    value_type: Any
    """The Python type of the value, as the GraphQL types declare it."""
    default_factory: Callable[[], object] | None
    """The value of an item left out; None for an item that must be sent."""
    description: str | None
    comment: str | None
    hint: str | None
    required_when: str | None

    def __init__(
        self,
        section: Section | None,
        label: str,
        *,
        required: bool,
        sent: bool,
        value_type: Any,
        default_factory: Callable[[], object] | None,
        **texts: Unpack[Texts],
    ) -> None:
        self.section = section
        self.label = label
        self.required = required
        self.sent = sent
        self.value_type = value_type
        self.default_factory = default_factory
        self.description = texts.get("description", label) if texts.get("described", True) else None
        self.comment = texts.get("comment", self.description)
        self.hint = texts.get("hint")
        self.required_when = texts.get("required_when")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> Self | T:
        if instance is None:
            return self
        raise AttributeError(f"{type(instance).__name__} has no value for {self.name}")

    @abstractmethod
    def column(self) -> fields.Field[Any]:
        """The Tortoise field that stores the item."""

    def load(self, value: Any) -> T:
        """The value from its column or from stored JSON."""
        return cast(T, value)

    def dump(self, value: T) -> Any:
        """The value as its column or stored JSON holds it."""
        return value

    def is_empty(self, value: T) -> bool:
        """Whether the item was left out: what a required item may not be at submission."""
        return value is None or value == "" or value == []

    def display(self, value: T) -> str:
        """The value as the printed form shows it; empty when left out."""
        return "" if self.is_empty(value) else str(value)


class Text(Item[str]):
    """Text, trimmed; `multiline` text (a paragraph) is kept in a TEXT column."""

    def __init__(
        self,
        section: Section | None,
        label: str,
        *,
        max_length: int,
        required: bool = True,
        sent: bool = False,
        multiline: bool = False,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            sent=sent,
            value_type=str,
            default_factory=None if sent else str,
            **texts,
        )
        self.max_length = max_length
        self.multiline = multiline

    def column(self) -> fields.Field[Any]:
        if self.multiline:
            if self.sent:
                return fields.TextField(description=self.comment)
            return fields.TextField(default="", description=self.comment)
        if self.sent:
            return fields.CharField(max_length=self.max_length, description=self.comment)
        return fields.CharField(max_length=self.max_length, default="", description=self.comment)


class Integer(Item[T]):
    """A whole number from `low` to `high`, shown with its `unit`; an item not sent may be
    left empty (None)."""

    @overload
    def __init__(
        self: Integer[int],
        section: Section | None,
        label: str,
        *,
        low: int,
        high: int,
        unit: str,
        required: bool = ...,
        sent: Literal[True],
        **texts: Unpack[Texts],
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None],
        section: Section | None,
        label: str,
        *,
        low: int,
        high: int,
        unit: str,
        required: bool = ...,
        sent: Literal[False] = ...,
        **texts: Unpack[Texts],
    ) -> None: ...
    def __init__(
        self,
        section: Section | None,
        label: str,
        *,
        low: int,
        high: int,
        unit: str,
        required: bool = True,
        sent: bool = False,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            sent=sent,
            value_type=int if sent else int | None,
            default_factory=None if sent else _none,
            **texts,
        )
        self.low = low
        self.high = high
        self.unit = unit

    def column(self) -> fields.Field[Any]:
        if self.sent:
            return fields.IntField(description=self.comment)
        return fields.IntField(null=True, description=self.comment)

    def display(self, value: T) -> str:
        if value is None:
            return ""
        return f"{value:,}{self.unit}" if self.unit == "円" else f"{value}{self.unit}"


class Choice(Item[T]):
    """One of a closed list; an item not sent may be left empty (None)."""

    @overload
    def __init__(
        self: Choice[E],
        section: Section | None,
        enum: type[E],
        label: str,
        *,
        width: int,
        required: bool = ...,
        sent: Literal[True],
        **texts: Unpack[Texts],
    ) -> None: ...
    @overload
    def __init__(
        self: Choice[E | None],
        section: Section | None,
        enum: type[E],
        label: str,
        *,
        width: int,
        required: bool = ...,
        sent: Literal[False] = ...,
        **texts: Unpack[Texts],
    ) -> None: ...
    def __init__(
        self,
        section: Section | None,
        enum: type[Labelled],
        label: str,
        *,
        width: int,
        required: bool = True,
        sent: bool = False,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            sent=sent,
            value_type=enum if sent else enum | None,
            default_factory=None if sent else _none,
            **texts,
        )
        self.enum = enum
        self.width = width
        """The column's width: the longest value, with room to grow."""

    def column(self) -> fields.Field[Any]:
        return fields.CharEnumField(
            self.enum, max_length=self.width, null=not self.sent, description=self.comment
        )

    def load(self, value: Any) -> T:
        return cast(T, None if value is None else self.enum.of(value))

    def display(self, value: T) -> str:
        return "" if value is None else cast(Labelled, value).label


class Choices(Item[list[E]]):
    """Any of a closed list, kept once each in the list's order; stored as JSON."""

    def __init__(
        self, section: Section | None, enum: type[E], label: str, **texts: Unpack[Texts]
    ) -> None:
        super().__init__(
            section,
            label,
            required=False,
            sent=False,
            value_type=GenericAlias(list, (enum,)),
            default_factory=list,
            **texts,
        )
        self.enum = enum

    def column(self) -> fields.Field[Any]:
        return fields.JSONField(default=list, description=self.comment)

    def load(self, value: Any) -> list[E]:
        return [self.enum.of(choice) for choice in value]

    def display(self, value: list[E]) -> str:
        return "、".join(choice.label for choice in value)


class Flag(Item[T]):
    """Yes or no, shown as `yes` / `no`; an item not sent may be left unanswered (None)."""

    @overload
    def __init__(
        self: Flag[bool],
        section: Section | None,
        label: str,
        *,
        yes: str = ...,
        no: str = ...,
        required: bool = ...,
        sent: Literal[True],
        **texts: Unpack[Texts],
    ) -> None: ...
    @overload
    def __init__(
        self: Flag[bool | None],
        section: Section | None,
        label: str,
        *,
        yes: str = ...,
        no: str = ...,
        required: bool = ...,
        sent: Literal[False] = ...,
        **texts: Unpack[Texts],
    ) -> None: ...
    def __init__(
        self,
        section: Section | None,
        label: str,
        *,
        yes: str = "あり",
        no: str = "なし",
        required: bool = True,
        sent: bool = False,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            sent=sent,
            value_type=bool if sent else bool | None,
            default_factory=None if sent else _none,
            **texts,
        )
        self.yes = yes
        self.no = no

    def column(self) -> fields.Field[Any]:
        if self.sent:
            return fields.BooleanField(description=self.comment)
        return fields.BooleanField(null=True, description=self.comment)

    def display(self, value: T) -> str:
        if value is None:
            return ""
        return self.yes if value else self.no


class PostalCode(Item[str]):
    """A postal code `123-4567`, in half-width digits."""

    def __init__(self, section: Section, label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section,
            label,
            required=True,
            sent=True,
            value_type=str,
            default_factory=None,
            **texts,
        )

    def column(self) -> fields.Field[Any]:
        return fields.CharField(max_length=8, description=self.comment)

    def display(self, value: str) -> str:
        return f"〒{value}" if value else ""


class Prefecture(Item[str]):
    """One of the 47 prefectures, by its full name (東京都)."""

    def __init__(self, section: Section, label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section,
            label,
            required=True,
            sent=True,
            value_type=str,
            default_factory=None,
            **texts,
        )

    def column(self) -> fields.Field[Any]:
        return fields.CharField(max_length=4, description=self.comment)


def part(item: Item[T]) -> T:
    """A part of a group item: a field of the group's dataclass, declared by an item.

    The type checker reads the field with the item's value type; the dataclass gets a field
    whose default is the item's empty value, and the item in its metadata.
    """
    assert item.default_factory is not None, "a part may always be left out"
    return cast(T, dataclasses.field(default_factory=item.default_factory, metadata={"item": item}))


def parts(group: type) -> tuple[Item[Any], ...]:
    """The parts of a group's dataclass, in their order, named after their fields."""
    found = []
    for field in dataclasses.fields(group):
        item: Item[Any] = field.metadata["item"]
        item.name = field.name
        found.append(item)
    return tuple(found)


class Group(Item[G | None]):
    """Several parts that make one item (固定残業代: amount, hours, excess paid), as a frozen
    dataclass whose fields are declared with `part`; stored as JSON. A group left out is None;
    a group given must have its required parts at submission."""

    def __init__(
        self,
        section: Section,
        group: type[G],
        label: str,
        *,
        required: bool = True,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            sent=False,
            value_type=group | None,
            default_factory=_none,
            **texts,
        )
        self.group = group
        self.parts = parts(group)

    def column(self) -> fields.Field[Any]:
        return fields.JSONField(null=True, description=self.comment)

    def load(self, value: Any) -> G | None:
        return None if value is None else load_group(self.group, self.parts, value)

    def dump(self, value: G | None) -> Any:
        return None if value is None else dump_group(self.parts, value)

    def display(self, value: G | None) -> str:
        return "" if value is None else display_group(self.parts, value)


class Groups(Item[list[G]]):
    """Up to `max_count` groups of the same kind (手当: each named, with its amount); stored as
    a JSON list, empty when none."""

    def __init__(
        self,
        section: Section,
        group: type[G],
        label: str,
        *,
        max_count: int,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=False,
            sent=False,
            value_type=GenericAlias(list, (group,)),
            default_factory=list,
            **texts,
        )
        self.group = group
        self.parts = parts(group)
        self.max_count = max_count

    def column(self) -> fields.Field[Any]:
        return fields.JSONField(default=list, description=self.comment)

    def load(self, value: Any) -> list[G]:
        return [load_group(self.group, self.parts, entry) for entry in value]

    def dump(self, value: list[G]) -> Any:
        return [dump_group(self.parts, entry) for entry in value]

    def display(self, value: list[G]) -> str:
        return "、".join(display_group(self.parts, entry) for entry in value)


def load_group(group: type[G], group_parts: tuple[Item[Any], ...], stored: dict[str, Any]) -> G:
    """A group from its stored JSON; a part added since it was stored reads as left out."""
    return group(
        **{item.name: item.load(stored[item.name]) for item in group_parts if item.name in stored}
    )


def dump_group(group_parts: tuple[Item[Any], ...], value: object) -> dict[str, Any]:
    return {item.name: item.dump(getattr(value, item.name)) for item in group_parts}


def display_group(group_parts: tuple[Item[Any], ...], value: object) -> str:
    shown = []
    for item in group_parts:
        text = item.display(getattr(value, item.name))
        if text:
            shown.append(f"{item.label} {text}")
    return "／".join(shown)


# --- The groups ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class PassiveSmokingMeasure:
    """受動喫煙対策: the measure taken at the workplace, and whether smoking is allowed there."""

    measure: SmokingMeasure | None = part(
        Choice(None, SmokingMeasure, "対策", width=24, description="受動喫煙対策の内容")
    )
    smoking_allowed: bool | None = part(
        Flag(None, "喫煙可否", yes="喫煙可", no="喫煙不可", description="就業場所で喫煙できるか")
    )
    note: str = part(Text(None, "特記事項", max_length=200, required=False))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContractRenewal:
    """契約更新の可能性 and 契約更新の上限, for a fixed-term contract."""

    possibility: RenewalPossibility | None = part(
        Choice(None, RenewalPossibility, "契約更新の可能性", width=12)
    )
    conditions: str = part(
        Text(
            None, "更新の条件", max_length=200, required=False, hint="条件付きで更新する場合の条件"
        )
    )
    has_upper_limit: bool | None = part(Flag(None, "更新上限", description="契約更新の上限の有無"))
    upper_limit: str = part(
        Text(
            None,
            "更新上限の内容",
            required_when="更新上限がある場合",
            max_length=100,
            required=False,
            hint="通算契約期間5年まで、更新回数3回まで …",
        )
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrialPeriod:
    """試用期間: whether there is one, how long, and whether its conditions differ."""

    has_trial_period: bool | None = part(Flag(None, "試用期間", description="試用期間の有無"))
    months: int | None = part(
        Integer(
            None,
            "試用期間の長さ",
            low=1,
            high=12,
            unit="か月",
            required=False,
            required_when="試用期間がある場合",
        )
    )
    conditions_differ: bool | None = part(
        Flag(
            None,
            "試用期間中の労働条件",
            yes="異なる",
            no="同条件",
            required=False,
            required_when="試用期間がある場合",
            description="試用期間中の労働条件が本採用後と異なるか",
        )
    )
    conditions: str = part(
        Text(
            None,
            "試用期間中の労働条件の内容",
            max_length=200,
            required=False,
            required_when="試用期間中の労働条件が異なる場合",
        )
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class EducationRequirement:
    """学歴: the least schooling asked for, and whether it is a must."""

    level: EducationLevel | None = part(Choice(None, EducationLevel, "学歴", width=16))
    mandatory: bool | None = part(
        Flag(None, "必須", yes="必須", no="あれば尚可", required=False, description="必須か")
    )
    detail: str = part(Text(None, "学歴の詳細", max_length=100, required=False, hint="専攻など"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgeLimit:
    """年齢制限: the bounds (inclusive) and the legal exception (例外事由) that allows them."""

    lower: int | None = part(
        Integer(None, "下限年齢", low=15, high=99, unit="歳以上", required=False)
    )
    upper: int | None = part(
        Integer(None, "上限年齢", low=15, high=99, unit="歳以下", required=False)
    )
    exception_reason: AgeLimitReason | None = part(
        Choice(None, AgeLimitReason, "年齢制限の例外事由", width=10)
    )
    reason_text: str = part(
        Text(
            None,
            "年齢制限の理由",
            max_length=200,
            hint="例外事由に当たる具体的な理由 (2号ならその法令名)",
        )
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class FixedAllowance:
    """定額的に支払われる手当: one named allowance and its amount."""

    name: str = part(Text(None, "手当の名称", max_length=30, hint="資格手当、住宅手当 …"))
    amount: int | None = part(Integer(None, "金額", low=1, high=9_999_999, unit="円"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class FixedOvertimePay:
    """固定残業代: its amount, the overtime hours it covers, and that excess hours are paid."""

    amount: int | None = part(Integer(None, "固定残業代の金額", low=1, high=9_999_999, unit="円"))
    hours: int | None = part(
        Integer(None, "固定残業代に相当する時間外労働の時間", low=1, high=100, unit="時間")
    )
    excess_paid: bool | None = part(
        Flag(
            None,
            "超過分の支払",
            yes="追加で支払う",
            no="支払わない",
            description="固定残業時間を超える時間外労働分を追加で支払うか",
        )
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommuteAllowance:
    """通勤手当: how it is paid and its monthly cap."""

    payment: CommutePay | None = part(Choice(None, CommutePay, "通勤手当", width=10))
    monthly_amount: int | None = part(
        Integer(
            None,
            "通勤手当の月額",
            required_when="通勤手当が上限あり・定額の場合",
            low=1,
            high=999_999,
            unit="円",
            required=False,
            hint="上限あり・定額のときの月額",
        )
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayRaise:
    """昇給: whether there is one, and last year's record."""

    has_raise: bool | None = part(Flag(None, "昇給", description="昇給制度の有無"))
    last_year: str = part(
        Text(None, "昇給 (前年度実績)", max_length=100, required=False, hint="月額3,000円 …")
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Bonus:
    """賞与: whether there is one, and last year's record."""

    has_bonus: bool | None = part(Flag(None, "賞与", description="賞与制度の有無"))
    times_last_year: int | None = part(
        Integer(None, "賞与 (前年度実績の回数)", low=0, high=12, unit="回", required=False)
    )
    last_year: str = part(
        Text(None, "賞与 (前年度実績の額)", max_length=100, required=False, hint="計4.00か月分 …")
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Overtime:
    """時間外労働: its monthly average and the 36協定's special clause."""

    monthly_average_hours: int | None = part(
        Integer(None, "月平均時間外労働時間", low=0, high=100, unit="時間")
    )
    special_clause: bool | None = part(
        Flag(None, "36協定における特別条項", description="36協定の特別条項の有無")
    )
    special_clause_detail: str = part(
        Text(None, "特別な事情・期間等", max_length=200, required=False)
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContinuedEmployment:
    """再雇用制度 or 勤務延長: whether there is one, and up to which age."""

    available: bool | None = part(Flag(None, "制度", description="制度の有無"))
    upper_age: int | None = part(
        Integer(None, "上限年齢", low=60, high=99, unit="歳まで", required=False)
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class YouthEmploymentInfo:
    """青少年雇用情報 (若者雇用促進法): required on 大卒等 postings."""

    graduate_hires_last_year: int | None = part(
        Integer(None, "新卒等採用者数 (前年度)", low=0, high=99_999, unit="人")
    )
    graduate_hires_two_years_ago: int | None = part(
        Integer(None, "新卒等採用者数 (2年度前)", low=0, high=99_999, unit="人")
    )
    graduate_hires_three_years_ago: int | None = part(
        Integer(None, "新卒等採用者数 (3年度前)", low=0, high=99_999, unit="人")
    )
    leavers_last_year: int | None = part(
        Integer(None, "新卒等離職者数 (前年度)", low=0, high=99_999, unit="人")
    )
    leavers_two_years_ago: int | None = part(
        Integer(None, "新卒等離職者数 (2年度前)", low=0, high=99_999, unit="人")
    )
    leavers_three_years_ago: int | None = part(
        Integer(None, "新卒等離職者数 (3年度前)", low=0, high=99_999, unit="人")
    )
    training: str = part(
        Text(None, "研修の有無及び内容", max_length=300, hint="新入社員研修 (2週間) …")
    )
    average_monthly_overtime_hours: int | None = part(
        Integer(None, "月平均所定外労働時間 (前年度)", low=0, high=200, unit="時間")
    )
    average_paid_leave_days_taken: int | None = part(
        Integer(None, "有給休暇の平均取得日数 (前年度)", low=0, high=40, unit="日")
    )


# --- The form ------------------------------------------------------------------------------


class PostingForm:
    """The items of the posting form, section by section in the form's order.

    Items that say `described=False` have never been described in the API or on their
    column; describing them now would change `schema.graphql` and need a migration.
    """

    # 1 求人区分等
    category = Choice(
        Section.CATEGORY, PostingCategory, "求人区分", width=12, sent=True, described=False
    )
    graduate_class_of = Integer(
        Section.CATEGORY,
        "卒業予定年",
        required_when="大卒等求人の場合",
        low=2000,
        high=2100,
        unit="年3月卒業",
        required=False,
        description="大卒等求人の対象: この年の3月に卒業する (した) 者",
        hint="Required for GRADUATE postings: the year of the March graduation (2027).",
    )
    work_style = Choice(
        Section.CATEGORY, WorkStyle, "就業形態", width=10, sent=True, described=False
    )
    employment_type = Choice(
        Section.CATEGORY, EmploymentType, "雇用形態", width=20, sent=True, described=False
    )
    contracting_work = Flag(
        Section.CATEGORY,
        "請負",
        yes="請負事業の就業場所",
        no="該当なし",
        description="請負: 就業場所が請負・業務委託先",
    )
    trial_employment = Flag(
        Section.CATEGORY,
        "トライアル雇用併用の希望",
        yes="希望する",
        no="希望しない",
        description="トライアル雇用併用の希望",
    )
    publication_range = Choice(
        Section.CATEGORY, PublicationRange, "公開範囲", width=21, sent=True, described=False
    )
    accepts_online_applications = Flag(
        Section.CATEGORY,
        "オンライン自主応募",
        yes="受け付ける",
        no="受け付けない",
        sent=True,
        comment="オンライン自主応募の受付",
        hint="Only with the publication ranges WITH_NAME and WITHOUT_NAME.",
    )

    # 2 事業所情報 (the establishment's own, written per posting where Hello Work allows)
    business_content = Text(
        Section.ESTABLISHMENT,
        "事業内容",
        max_length=500,
        multiline=True,
        required=False,
        hint="Left empty: the establishment's 事業内容.",
    )
    company_features = Text(
        Section.ESTABLISHMENT,
        "会社の特長",
        max_length=500,
        multiline=True,
        required=False,
        hint="Left empty: the establishment's 会社の特長.",
    )
    workplace_employees = Integer(
        Section.ESTABLISHMENT, "従業員数 (就業場所)", low=0, high=9_999_999, unit="人"
    )
    workplace_female_employees = Integer(
        Section.ESTABLISHMENT,
        "従業員数 (就業場所) うち女性",
        low=0,
        high=9_999_999,
        unit="人",
        required=False,
    )
    workplace_part_time_employees = Integer(
        Section.ESTABLISHMENT,
        "従業員数 (就業場所) うちパート",
        low=0,
        high=9_999_999,
        unit="人",
        required=False,
    )
    has_work_rules = Flag(Section.ESTABLISHMENT, "就業規則", description="就業規則の有無")
    childcare_leave_taken = Flag(
        Section.ESTABLISHMENT,
        "育児休業取得実績",
        required=False,
        description="育児休業取得実績の有無",
    )
    youth_employment_info = Group(
        Section.ESTABLISHMENT,
        YouthEmploymentInfo,
        "青少年雇用情報",
        required_when="大卒等求人の場合",
        required=False,
        hint="Required for GRADUATE postings.",
    )

    # 3 仕事内容
    job_title = Text(Section.JOB, "職種", max_length=50, sent=True, hint="Up to 50 characters.")
    job_description = Text(
        Section.JOB,
        "仕事内容",
        max_length=1000,
        multiline=True,
        sent=True,
        hint="Up to 1000 characters.",
    )
    workplace_postal_code = PostalCode(
        Section.JOB, "就業場所の郵便番号", described=False, hint="123-4567."
    )
    workplace_prefecture = Prefecture(
        Section.JOB,
        "就業場所の都道府県",
        description="就業場所の都道府県: 東京都",
        comment="就業場所の都道府県",
        hint="東京都, 大阪府 …",
    )
    workplace_address = Text(Section.JOB, "就業場所", max_length=300, sent=True)
    nearest_station = Text(
        Section.JOB, "最寄り駅", max_length=100, required=False, hint="JR山手線 目白駅 徒歩5分 …"
    )
    passive_smoking_measure = Group(Section.JOB, PassiveSmokingMeasure, "受動喫煙対策")
    employment_period = Choice(
        Section.JOB, EmploymentPeriod, "雇用期間", width=10, sent=True, described=False
    )
    employment_period_detail = Text(
        Section.JOB,
        "雇用期間の詳細",
        required_when="雇用期間の定めがある場合",
        max_length=200,
        required=False,
        described=False,
        hint="Required when the period is fixed.",
    )
    contract_renewal = Group(
        Section.JOB,
        ContractRenewal,
        "契約更新の可能性",
        required_when="雇用期間の定めがある場合",
        required=False,
        hint="Required when the period is fixed.",
    )
    trial_period = Group(Section.JOB, TrialPeriod, "試用期間")
    number_to_hire = Integer(
        Section.JOB, "採用人数", low=1, high=999, unit="人", sent=True, hint="1 or more."
    )
    required_experience = Text(Section.JOB, "必要な経験等", max_length=300, required=False)
    required_licenses = Text(Section.JOB, "必要な免許・資格", max_length=300, required=False)
    education_requirement = Group(Section.JOB, EducationRequirement, "学歴")
    age_limit = Group(
        Section.JOB,
        AgeLimit,
        "年齢制限",
        required=False,
        description="年齢制限: null は不問",
        hint="Null: no age limit (不問). A limit needs its exception reason and text.",
    )
    workplace_change_scope = Text(
        Section.JOB,
        "就業場所の変更の範囲",
        max_length=200,
        hint="2024年4月からの明示事項: 「変更なし」「会社の定める事業所」…",
    )
    job_change_scope = Text(
        Section.JOB,
        "従事すべき業務の変更の範囲",
        max_length=200,
        hint="2024年4月からの明示事項: 「変更なし」「会社の定める業務」…",
    )

    # 4 賃金・手当
    wage_form = Choice(Section.WAGES, WageForm, "賃金形態", width=10, sent=True, described=False)
    base_wage_min = Integer(
        Section.WAGES,
        "基本給（下限）",
        low=1,
        high=99_999_999,
        unit="円",
        sent=True,
        description="基本給 下限 (円)",
        hint="Not below the minimum wage of the workplace's prefecture (`minimumWages`).",
    )
    base_wage_max = Integer(
        Section.WAGES,
        "基本給（上限）",
        low=1,
        high=99_999_999,
        unit="円",
        sent=True,
        description="基本給 上限 (円)",
    )
    fixed_allowances = Groups(
        Section.WAGES,
        FixedAllowance,
        "定額的に支払われる手当",
        max_count=10,
        hint="Up to 10, each named with its amount.",
    )
    fixed_overtime_pay = Group(
        Section.WAGES,
        FixedOvertimePay,
        "固定残業代",
        required=False,
        description="固定残業代: null はなし",
        hint="Null: none. Its amount, the hours it covers, and that excess is paid.",
    )
    allowances = Text(Section.WAGES, "その他の手当付記事項", max_length=300, required=False)
    commute_allowance = Group(Section.WAGES, CommuteAllowance, "通勤手当")
    pay_day = Text(Section.WAGES, "賃金締切日・支払日", max_length=100, sent=True)
    pay_raise = Group(Section.WAGES, PayRaise, "昇給")
    bonus = Group(Section.WAGES, Bonus, "賞与")

    # 5 労働時間
    working_hours = Text(
        Section.HOURS, "就業時間", max_length=300, sent=True, hint="8時30分〜17時30分, or shifts."
    )
    daily_working_minutes = Integer(
        Section.HOURS,
        "1日の所定労働時間",
        low=1,
        high=1440,
        unit="分",
        hint="In minutes, without breaks (480 for 8 hours).",
    )
    weekly_working_days = Integer(
        Section.HOURS, "週所定労働日数", low=1, high=7, unit="日", hint="1 to 7."
    )
    variable_working_hours = Choice(Section.HOURS, VariableHours, "変形労働時間制", width=10)
    break_minutes = Integer(
        Section.HOURS,
        "休憩時間",
        low=0,
        high=480,
        unit="分",
        hint="In minutes: at least 45 over 6 hours of work, 60 over 8.",
    )
    has_overtime = Flag(Section.HOURS, "時間外労働", sent=True, comment="時間外労働の有無")
    overtime = Group(
        Section.HOURS,
        Overtime,
        "時間外労働の詳細",
        required=False,
        hint="Required with overtime.",
        required_when="時間外労働がある場合",
    )
    overtime_detail = Text(
        Section.HOURS, "時間外労働の付記事項", max_length=200, required=False, described=False
    )
    annual_holidays = Integer(Section.HOURS, "年間休日数", low=0, high=366, unit="日", sent=True)
    weekly_two_days_off = Choice(
        Section.HOURS, WeeklyTwoDaysOff, "週休二日制", width=10, sent=True, described=False
    )
    holidays_detail = Text(Section.HOURS, "休日等", max_length=200, required=False)
    annual_paid_leave_days = Integer(
        Section.HOURS,
        "年次有給休暇 (6か月経過後)",
        low=0,
        high=40,
        unit="日",
        hint="Days after six months: at least what 労働基準法39条 gives for the days worked.",
    )

    # 6 保険・年金・定年等
    insurances = Choices(
        Section.INSURANCE, Insurance, "加入保険等", comment="加入保険等: Insurance values"
    )
    insurance = Text(
        Section.INSURANCE,
        "その他の保険・制度",
        max_length=200,
        required=False,
        hint="その他の保険・制度.",
    )
    retirement_allowance = Flag(Section.INSURANCE, "退職金制度", description="退職金制度の有無")
    retirement_age = Integer(
        Section.INSURANCE, "定年年齢", low=60, high=99, unit="歳", required=False
    )
    reemployment = Group(
        Section.INSURANCE,
        ContinuedEmployment,
        "再雇用制度",
        required=False,
        hint="With a retirement age.",
    )
    extended_employment = Group(
        Section.INSURANCE,
        ContinuedEmployment,
        "勤務延長",
        required=False,
        hint="With a retirement age.",
    )

    # 7 求人PR
    special_notes = Text(Section.PR, "特記事項", max_length=1000, multiline=True, required=False)
    pr = Text(Section.PR, "求人PR", max_length=1000, multiline=True, required=False)

    # 8 選考方法
    selection_method = Text(Section.SELECTION, "選考方法", max_length=200, sent=True)
    documents = Text(Section.SELECTION, "応募書類等", max_length=200, required=False)
    result_notice_days = Integer(
        Section.SELECTION,
        "選考結果通知 (面接後)",
        low=1,
        high=60,
        unit="日以内",
        hint="Days after the interview, 1 to 60.",
    )
    result_notice_method = Choice(Section.SELECTION, ResultNotice, "選考結果の通知方法", width=10)
    contact = Text(Section.SELECTION, "担当者・連絡先", max_length=200, sent=True)


ITEMS: tuple[Item[Any], ...] = tuple(
    value for value in vars(PostingForm).values() if isinstance(value, Item)
)
"""Every item, in the form's order."""

ITEM_BY_NAME: dict[str, Item[Any]] = {item.name: item for item in ITEMS}


def _with_columns(cls: type[T]) -> type[T]:
    for item in ITEMS:
        setattr(cls, item.name, item.column())
    return cls


@_with_columns
class PostingFormColumns(PostingForm):
    """The form as a model mixin: one Tortoise field per item, made from its declaration.

    A model that inherits it stores the form, and the type checker reads each item on a row
    with the item's own type (a row holds JSON where an item is a group until `load`).
    """
