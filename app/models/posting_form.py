"""The posting form (求人票): each item declared once, in the form's order.

An item's declaration says what it is called (its label, used in messages), which section of
the form it sits in, whether it must be filled in, its kind and limits, and how the API
describes it. The posting's columns (`PostingFormColumns`), the checks of the form
(`app.resolvers.postings`) and its GraphQL input and output types (`app.schema.postings`) are
all made from these declarations: adding an item is one line in `PostingForm`, and a
migration for its column.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from types import GenericAlias
from typing import Any, Generic, Literal, Self, TypedDict, TypeVar, Unpack, cast, overload

from tortoise import fields

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


# --- What the items choose from ------------------------------------------------------------


class PostingCategory(StrEnum):
    """求人区分."""

    GENERAL = "GENERAL"
    """一般"""
    GRADUATE = "GRADUATE"
    """新卒・既卒 (学卒)"""
    SEASONAL = "SEASONAL"
    """季節"""
    MIGRANT = "MIGRANT"
    """出稼ぎ"""
    DISABILITY = "DISABILITY"
    """障害者"""


class WorkStyle(StrEnum):
    """フルタイム / パート."""

    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"


class EmploymentType(StrEnum):
    """雇用形態."""

    REGULAR = "REGULAR"
    """正社員"""
    NON_REGULAR = "NON_REGULAR"
    """正社員以外 (契約社員, 嘱託社員 …)"""
    DISPATCH = "DISPATCH"
    """派遣"""
    PART_TIMER = "PART_TIMER"
    """パート労働者"""


class EmploymentPeriod(StrEnum):
    """雇用期間."""

    INDEFINITE = "INDEFINITE"
    """雇用期間の定めなし"""
    FIXED_TERM = "FIXED_TERM"
    """雇用期間の定めあり"""


class WageForm(StrEnum):
    """賃金形態."""

    MONTHLY = "MONTHLY"
    """月給"""
    DAILY = "DAILY"
    """日給"""
    HOURLY = "HOURLY"
    """時給"""


class Insurance(StrEnum):
    """加入保険等, as ticked on the posting form."""

    EMPLOYMENT = "EMPLOYMENT"
    """雇用保険"""
    WORKERS_ACCIDENT = "WORKERS_ACCIDENT"
    """労災保険"""
    PUBLIC_SERVICE_ACCIDENT = "PUBLIC_SERVICE_ACCIDENT"
    """公務災害補償"""
    HEALTH = "HEALTH"
    """健康保険"""
    PENSION = "PENSION"
    """厚生年金"""
    ASSET_FORMATION = "ASSET_FORMATION"
    """財形"""


class WeeklyTwoDaysOff(StrEnum):
    """週休二日制."""

    EVERY_WEEK = "EVERY_WEEK"
    """毎週"""
    SOME_WEEKS = "SOME_WEEKS"
    """その他 (隔週など)"""
    NONE = "NONE"
    """なし"""


class PublicationRange(StrEnum):
    """公開範囲."""

    WITH_NAME = "WITH_NAME"
    """事業所名等を含む求人情報を公開する"""
    NAME_TO_SEEKERS_ONLY = "NAME_TO_SEEKERS_ONLY"
    """事業所名等を含む求人情報を求職者マイページを開設した求職者にのみ公開する"""
    WITHOUT_NAME = "WITHOUT_NAME"
    """事業所名等を含まない求人情報を公開する"""


class AgeLimitReason(StrEnum):
    """年齢制限の例外事由 (労働施策総合推進法施行規則第1条の3第1項)."""

    ITEM_1 = "ITEM_1"
    """1号: 定年年齢を上限として、その上限年齢未満の労働者を募集"""
    ITEM_2 = "ITEM_2"
    """2号: 法令の規定により年齢制限が設けられている"""
    ITEM_3_I = "ITEM_3_I"
    """3号イ: 長期勤続によるキャリア形成のため若年者等を募集"""
    ITEM_3_RO = "ITEM_3_RO"
    """3号ロ: 技能・ノウハウの継承のため特定の年齢層を募集"""
    ITEM_3_HA = "ITEM_3_HA"
    """3号ハ: 芸術・芸能の分野における表現の真実性等の要請"""
    ITEM_3_NI = "ITEM_3_NI"
    """3号ニ: 高年齢者等の雇用を促進する国の施策の対象者を募集"""


# --- The kinds of item ---------------------------------------------------------------------


class Section(StrEnum):
    """The sections of Hello Work's form, in its order."""

    CATEGORY = "求人区分等"
    JOB = "仕事内容"
    WAGES = "賃金・手当"
    HOURS = "労働時間"
    INSURANCE = "保険・年金・定年等"
    PR = "求人PR"
    SELECTION = "選考方法"


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


def _none() -> None:
    return None


class Item(ABC, Generic[T]):
    """One item of the form, declared as an attribute of `PostingForm`.

    Read on an instance of the form (the resolver's content, a posting row) it is the item's
    value: the instance holds the value itself, and `__get__` tells the type checker its type.
    """

    name: str
    """The attribute: also the column, and in camelCase the GraphQL field."""
    section: Section
    label: str
    """The item's Japanese name, as messages call it."""
    required: bool
    value_type: Any
    """The Python type of the value, as the GraphQL types declare it."""
    default_factory: Callable[[], object] | None
    """The value of an item left out; None for an item that must be sent."""
    description: str | None
    comment: str | None
    hint: str | None

    def __init__(
        self,
        section: Section,
        label: str,
        *,
        required: bool,
        value_type: Any,
        default_factory: Callable[[], object] | None,
        **texts: Unpack[Texts],
    ) -> None:
        self.section = section
        self.label = label
        self.required = required
        self.value_type = value_type
        self.default_factory = default_factory
        self.description = texts.get("description", label) if texts.get("described", True) else None
        self.comment = texts.get("comment", self.description)
        self.hint = texts.get("hint")

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


class Text(Item[str]):
    """Text, trimmed; `multiline` text (a paragraph) is kept in a TEXT column."""

    def __init__(
        self,
        section: Section,
        label: str,
        *,
        max_length: int,
        required: bool = True,
        multiline: bool = False,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            value_type=str,
            default_factory=None if required else str,
            **texts,
        )
        self.max_length = max_length
        self.multiline = multiline

    def column(self) -> fields.Field[Any]:
        if self.multiline:
            if self.required:
                return fields.TextField(description=self.comment)
            return fields.TextField(default="", description=self.comment)
        if self.required:
            return fields.CharField(max_length=self.max_length, description=self.comment)
        return fields.CharField(max_length=self.max_length, default="", description=self.comment)


class Integer(Item[T]):
    """A whole number from `low` to `high`; an item not required may be left empty (None)."""

    @overload
    def __init__(
        self: Integer[int],
        section: Section,
        label: str,
        *,
        low: int,
        high: int,
        required: Literal[True] = ...,
        **texts: Unpack[Texts],
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None],
        section: Section,
        label: str,
        *,
        low: int,
        high: int,
        required: Literal[False],
        **texts: Unpack[Texts],
    ) -> None: ...
    def __init__(
        self,
        section: Section,
        label: str,
        *,
        low: int,
        high: int,
        required: bool = True,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            value_type=int if required else int | None,
            default_factory=None if required else _none,
            **texts,
        )
        self.low = low
        self.high = high

    def column(self) -> fields.Field[Any]:
        if self.required:
            return fields.IntField(description=self.comment)
        return fields.IntField(null=True, description=self.comment)


class Choice(Item[T]):
    """One of a closed list; an item not required may be left empty (None)."""

    @overload
    def __init__(
        self: Choice[E],
        section: Section,
        enum: type[E],
        label: str,
        *,
        width: int,
        required: Literal[True] = ...,
        **texts: Unpack[Texts],
    ) -> None: ...
    @overload
    def __init__(
        self: Choice[E | None],
        section: Section,
        enum: type[E],
        label: str,
        *,
        width: int,
        required: Literal[False],
        **texts: Unpack[Texts],
    ) -> None: ...
    def __init__(
        self,
        section: Section,
        enum: type[StrEnum],
        label: str,
        *,
        width: int,
        required: bool = True,
        **texts: Unpack[Texts],
    ) -> None:
        super().__init__(
            section,
            label,
            required=required,
            value_type=enum if required else enum | None,
            default_factory=None if required else _none,
            **texts,
        )
        self.enum = enum
        self.width = width
        """The column's width: the longest value, with room to grow."""

    def column(self) -> fields.Field[Any]:
        return fields.CharEnumField(
            self.enum, max_length=self.width, null=not self.required, description=self.comment
        )

    def load(self, value: Any) -> T:
        return cast(T, None if value is None else self.enum(value))


class Choices(Item[list[E]]):
    """Any of a closed list, kept once each in the list's order; stored as JSON."""

    def __init__(self, section: Section, enum: type[E], label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section,
            label,
            required=False,
            value_type=GenericAlias(list, (enum,)),
            default_factory=list,
            **texts,
        )
        self.enum = enum

    def column(self) -> fields.Field[Any]:
        return fields.JSONField(default=list, description=self.comment)

    def load(self, value: Any) -> list[E]:
        return [self.enum(choice) for choice in value]


class Flag(Item[bool]):
    """Yes or no."""

    def __init__(self, section: Section, label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section, label, required=True, value_type=bool, default_factory=None, **texts
        )

    def column(self) -> fields.Field[Any]:
        return fields.BooleanField(description=self.comment)


class PostalCode(Item[str]):
    """A postal code `123-4567`, in half-width digits."""

    def __init__(self, section: Section, label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section, label, required=True, value_type=str, default_factory=None, **texts
        )

    def column(self) -> fields.Field[Any]:
        return fields.CharField(max_length=8, description=self.comment)


class Prefecture(Item[str]):
    """One of the 47 prefectures, by its full name (東京都)."""

    def __init__(self, section: Section, label: str, **texts: Unpack[Texts]) -> None:
        super().__init__(
            section, label, required=True, value_type=str, default_factory=None, **texts
        )

    def column(self) -> fields.Field[Any]:
        return fields.CharField(max_length=4, description=self.comment)


# --- The form ------------------------------------------------------------------------------


class PostingForm:
    """The items of the posting form, in the form's order.

    Items that say `described=False` have never been described in the API or on their
    column; describing them now would change `schema.graphql` and need a migration.
    """

    category = Choice(Section.CATEGORY, PostingCategory, "求人区分", width=12, described=False)
    work_style = Choice(Section.CATEGORY, WorkStyle, "就業形態", width=10, described=False)
    employment_type = Choice(
        Section.CATEGORY, EmploymentType, "雇用形態", width=12, described=False
    )
    publication_range = Choice(
        Section.CATEGORY, PublicationRange, "公開範囲", width=21, described=False
    )
    accepts_online_applications = Flag(
        Section.CATEGORY, "オンライン自主応募", comment="オンライン自主応募の受付"
    )

    job_title = Text(Section.JOB, "職種", max_length=50, hint="Up to 50 characters.")
    job_description = Text(
        Section.JOB, "仕事内容", max_length=1000, multiline=True, hint="Up to 1000 characters."
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
    workplace_address = Text(Section.JOB, "就業場所", max_length=300)
    employment_period = Choice(Section.JOB, EmploymentPeriod, "雇用期間", width=10, described=False)
    employment_period_detail = Text(
        Section.JOB,
        "雇用期間の詳細",
        max_length=200,
        required=False,
        described=False,
        hint="Required when the period is fixed.",
    )
    number_to_hire = Integer(Section.JOB, "採用人数", low=1, high=999, hint="1 or more.")
    required_experience = Text(Section.JOB, "必要な経験等", max_length=300, required=False)
    required_licenses = Text(Section.JOB, "必要な免許・資格", max_length=300, required=False)
    age_limit = Integer(
        Section.JOB,
        "年齢制限（上限年齢）",
        low=15,
        high=99,
        required=False,
        description="年齢制限: 上限年齢 (以下)",
        hint="An age limit needs `ageLimitReason`.",
    )
    age_limit_reason = Choice(
        Section.JOB, AgeLimitReason, "年齢制限の理由", width=10, required=False, described=False
    )

    wage_form = Choice(Section.WAGES, WageForm, "賃金形態", width=10, described=False)
    base_wage_min = Integer(
        Section.WAGES,
        "基本給（下限）",
        low=1,
        high=99_999_999,
        description="基本給 下限 (円)",
        hint="Not below the minimum wage: hourly as is, daily ×8, monthly ×8×21.",
    )
    base_wage_max = Integer(
        Section.WAGES, "基本給（上限）", low=1, high=99_999_999, description="基本給 上限 (円)"
    )
    allowances = Text(Section.WAGES, "手当", max_length=300, required=False)
    pay_day = Text(Section.WAGES, "賃金締切日・支払日", max_length=100)

    working_hours = Text(Section.HOURS, "就業時間", max_length=300)
    has_overtime = Flag(Section.HOURS, "時間外労働", comment="時間外労働の有無")
    overtime_detail = Text(
        Section.HOURS, "時間外労働の詳細", max_length=200, required=False, described=False
    )
    annual_holidays = Integer(Section.HOURS, "年間休日数", low=0, high=366)
    weekly_two_days_off = Choice(
        Section.HOURS, WeeklyTwoDaysOff, "週休二日制", width=10, described=False
    )
    holidays_detail = Text(Section.HOURS, "休日等", max_length=200, required=False)

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
    retirement_age = Integer(Section.INSURANCE, "定年年齢", low=60, high=99, required=False)

    pr = Text(Section.PR, "求人PR", max_length=1000, multiline=True, required=False)

    selection_method = Text(Section.SELECTION, "選考方法", max_length=200)
    documents = Text(Section.SELECTION, "応募書類等", max_length=200, required=False)
    contact = Text(Section.SELECTION, "担当者・連絡先", max_length=200)


ITEMS: tuple[Item[Any], ...] = tuple(
    value for value in vars(PostingForm).values() if isinstance(value, Item)
)
"""Every item, in the form's order."""


def _with_columns(cls: type[T]) -> type[T]:
    for item in ITEMS:
        setattr(cls, item.name, item.column())
    return cls


@_with_columns
class PostingFormColumns(PostingForm):
    """The form as a model mixin: one Tortoise field per item, made from its declaration.

    A model that inherits it stores the form, and the type checker reads each item on a row
    with the item's own type (a row holds `insurances` as the JSON's strings until `load`).
    """
