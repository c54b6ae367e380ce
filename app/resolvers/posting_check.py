"""The check of a posting form (求人票): errors (red) and warnings (orange), as Hello Work's own
form shows them.

An *error* is what Hello Work refuses: an item left out, a malformed value, a rule of the law
broken (the minimum wage of the workplace's prefecture in force on the day, an age limit without
its legal exception, hours beyond the legal limit …); the posting cannot be submitted with one.
A *warning* is what is likely a mistake or likely to be returned by staff; the employer confirms
it (`acknowledgedWarnings`) and may go on.

`well_formed` is the part of the check a draft must pass to be saved (一時保存): values the
columns can hold. `check` is the whole of it, for any content at any time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app import wages
from app.errors import ErrorCode, UserError
from app.models.posting_form import (
    ITEMS,
    AgeLimit,
    AgeLimitReason,
    Choice,
    Choices,
    CommutePay,
    EmploymentPeriod,
    EmploymentType,
    Flag,
    Group,
    Groups,
    Insurance,
    Integer,
    Item,
    PostalCode,
    PostingCategory,
    PostingForm,
    Prefecture,
    SmokingMeasure,
    Text,
    VariableHours,
    WageForm,
    WorkStyle,
)
from app.models.posting_form import ONLINE_APPLICATION_RANGES as ONLINE_APPLICATION_RANGES
from app.resolvers.validation import is_postal_code

if TYPE_CHECKING:
    from app.resolvers.postings import PostingContent

# 労働基準法: 40 hours a week, 8 a day; breaks of 45 minutes over 6 hours, 60 over 8.
WEEKLY_LIMIT_MINUTES = 40 * 60
DAILY_LIMIT_MINUTES = 8 * 60
BREAK_RULES = ((8 * 60, 60), (6 * 60, 45))
# 36協定 without its special clause: 45 hours of overtime a month.
MONTHLY_OVERTIME_LIMIT_HOURS = 45
# 年次有給休暇 after six months (労働基準法39条): 10 days from 5 days or 30 hours a week,
# fewer in proportion below that (比例付与).
FULL_PAID_LEAVE_DAYS = 10
PROPORTIONAL_PAID_LEAVE_DAYS = {4: 7, 3: 5, 2: 3, 1: 1}
FULL_PAID_LEAVE_WEEKLY_MINUTES = 30 * 60
# 高年齢者雇用安定法: employment up to 65 must be secured.
SECURED_EMPLOYMENT_AGE = 65
# 3号ロ: a specific age range of at most about ten years within 30 to 49.
ITEM_3_RO_AGES = (30, 49)
# 3号ニ: 60 or older.
ITEM_3_NI_LOWEST = 60
# Staff ask about a range where the top is more than twice the bottom.
WIDE_WAGE_FACTOR = 2
# Employment insurance from 20 hours a week.
EMPLOYMENT_INSURANCE_WEEKLY_MINUTES = 20 * 60
# A week of working days against the days left by the annual holidays: 52 weeks, give or take
# the national holidays, summer and year-end (a 5-day week has 105 to 130 holidays).
HOLIDAY_SLACK_DAYS = 25
DAYS_PER_YEAR = 365


class WarningCode(StrEnum):
    """Stable codes of the warnings of the posting check; `acknowledgedWarnings` lists them."""

    BASE_WAGE_BELOW_MINIMUM_WAGE = "BASE_WAGE_BELOW_MINIMUM_WAGE"
    """最低賃金 (minimum wage): the basic wage alone is below it; with the allowances, not."""
    WIDE_WAGE_RANGE = "WIDE_WAGE_RANGE"
    """賃金の幅 (wage range): the top of the basic wage is more than twice its bottom."""
    WORK_STYLE_BY_HOURS = "WORK_STYLE_BY_HOURS"
    """就業形態 (work style): フルタイム or パート does not match the weekly hours."""
    HOLIDAYS_INCONSISTENT = "HOLIDAYS_INCONSISTENT"
    """年間休日数 (annual holidays): they and the working days a week do not add up to a year."""
    INSURANCE_LIKELY_REQUIRED = "INSURANCE_LIKELY_REQUIRED"
    """加入保険 (insurance): 労災保険, or 雇用保険 at 20 hours a week or more, is not ticked."""
    EMPLOYMENT_TO_65_NOT_SECURED = "EMPLOYMENT_TO_65_NOT_SECURED"
    """65歳までの雇用確保 (employment to 65): retirement before 65, without 再雇用 or 勤務延長."""
    LONG_TRIAL_PERIOD = "LONG_TRIAL_PERIOD"
    """試用期間 (trial period): longer than six months."""
    AGE_LIMIT_3_I_WITH_EXPERIENCE = "AGE_LIMIT_3_I_WITH_EXPERIENCE"
    """年齢制限 3号イ (age limit 3 i): meant for hiring without experience, yet it is asked for."""


LONG_TRIAL_MONTHS = 6


@dataclass(frozen=True)
class PostingWarning:
    code: WarningCode
    message: str
    field: str


@dataclass(frozen=True)
class CheckResult:
    """What the check found, each in the form's order."""

    errors: list[UserError]
    warnings: list[PostingWarning]
    minimum_wage: wages.Revision | None
    """The minimum wage the wage was checked against: the workplace's prefecture, that day."""


def _field(*names: str | int) -> str:
    return ".".join(["content", *map(str, names)])


# --- What a draft must be to be saved ------------------------------------------------------


def _well_formed_value(
    item: Item[Any], value: Any, path: tuple[str | int, ...]
) -> Iterator[UserError]:
    field = _field(*path)
    match item:
        case Text() if len(value.strip()) > item.max_length:
            yield UserError(
                ErrorCode.TOO_LONG,
                f"{item.label}は{item.max_length}文字以内で入力してください。",
                field,
            )
        case Integer() if value is not None and not item.low <= value <= item.high:
            yield UserError(
                ErrorCode.OUT_OF_RANGE,
                f"{item.label}は{item.low}から{item.high}までで入力してください。",
                field,
            )
        case PostalCode() if value.strip() and not is_postal_code(value.strip()):
            yield UserError(
                ErrorCode.INVALID_FORMAT, "郵便番号は「123-4567」の形式で入力してください。", field
            )
        case Prefecture() if value and value not in wages.PREFECTURES:
            yield UserError(ErrorCode.INVALID_FORMAT, f"{item.label}を選択してください。", field)
        case Group() if value is not None:
            for part in item.parts:
                yield from _well_formed_value(part, getattr(value, part.name), (*path, part.name))
        case Groups():
            if len(value) > item.max_count:
                yield UserError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{item.label}は{item.max_count}件までです。",
                    field,
                )
            for index, entry in enumerate(value):
                for part in item.parts:
                    yield from _well_formed_value(
                        part, getattr(entry, part.name), (*path, index, part.name)
                    )


def well_formed(content: PostingContent) -> list[UserError]:
    """What keeps a draft from being saved: values its columns cannot hold."""
    return [
        error
        for item in ITEMS
        for error in _well_formed_value(item, getattr(content, item.name), (item.name,))
    ]


def _trimmed(item: Item[Any], value: Any) -> Any:
    match item:
        case Text():
            return value.strip()
        case PostalCode() | Prefecture():
            return value.strip()
        case Choices():
            return [choice for choice in item.enum if choice in value]
        case Group() if value is not None:
            return dataclasses.replace(
                value, **{p.name: _trimmed(p, getattr(value, p.name)) for p in item.parts}
            )
        case Groups():
            return [
                dataclasses.replace(
                    entry, **{p.name: _trimmed(p, getattr(entry, p.name)) for p in item.parts}
                )
                for entry in value
            ]
    return value


def trimmed(content: PostingContent) -> dict[str, Any]:
    """The content's values as stored: text trimmed, choices once each in the list's order."""
    return {item.name: _trimmed(item, getattr(content, item.name)) for item in ITEMS}


# --- Items left out ------------------------------------------------------------------------


def _missing(item: Item[Any], field: str) -> UserError:
    verb = "選択" if isinstance(item, Choice | Flag | Choices) else "入力"
    return UserError(ErrorCode.REQUIRED, f"{item.label}を{verb}してください。", field)


def _left_out(item: Item[Any], value: Any, path: tuple[str | int, ...]) -> Iterator[UserError]:
    if item.is_empty(value):
        if item.required:
            yield _missing(item, _field(*path))
        return
    if isinstance(item, Group):
        for part in item.parts:
            yield from _left_out(part, getattr(value, part.name), (*path, part.name))
    elif isinstance(item, Groups):
        for index, entry in enumerate(value):
            for part in item.parts:
                yield from _left_out(part, getattr(entry, part.name), (*path, index, part.name))


# --- The rules across items ----------------------------------------------------------------


class _Findings:
    def __init__(self) -> None:
        self.errors: list[UserError] = []
        self.warnings: list[PostingWarning] = []

    def error(self, code: ErrorCode, message: str, *path: str | int) -> None:
        self.errors.append(UserError(code, message, _field(*path)))

    def warn(self, code: WarningCode, message: str, *path: str | int) -> None:
        self.warnings.append(PostingWarning(code, message, _field(*path)))


def _category_rules(c: PostingContent, today: dt.date, found: _Findings) -> None:
    if c.employment_type is EmploymentType.DISPATCH:
        found.error(
            ErrorCode.INVALID_FORMAT,
            "派遣は「有期雇用派遣労働者」か「無期雇用派遣労働者」を選択してください。",
            "employment_type",
        )
    expected = {
        EmploymentType.FIXED_TERM_DISPATCH: EmploymentPeriod.FIXED_TERM,
        EmploymentType.INDEFINITE_DISPATCH: EmploymentPeriod.INDEFINITE,
    }.get(c.employment_type)
    if expected is not None and c.employment_period is not expected:
        found.error(
            ErrorCode.INCONSISTENT,
            f"{c.employment_type.label}の雇用期間は「{expected.label}」です。",
            "employment_period",
        )
    if c.accepts_online_applications and c.publication_range not in ONLINE_APPLICATION_RANGES:
        found.error(
            ErrorCode.ONLINE_APPLICATIONS_NOT_ALLOWED,
            "オンライン自主応募は、公開範囲が「事業所名等を含む求人情報を公開する」か"
            "「事業所名等を含まない求人情報を公開する」の求人でのみ受け付けられます。",
            "accepts_online_applications",
        )
    if c.category is PostingCategory.GRADUATE:
        _graduate_rules(c, today, found)
    elif c.graduate_class_of is not None:
        found.error(
            ErrorCode.INCONSISTENT,
            "卒業予定年は大卒等求人でのみ入力してください。",
            "graduate_class_of",
        )


def graduating_class(today: dt.date) -> int:
    """The March graduation of the school year `today` is in (April to March)."""
    return today.year + 1 if today.month >= 4 else today.year


def graduate_acceptance_opens(class_of: int) -> dt.date:
    """大卒等 postings for the graduates of March `class_of` are accepted from 1 February of the
    year before."""
    return dt.date(class_of - 1, 2, 1)


def graduate_publication_opens(class_of: int) -> dt.date:
    """… published from 1 April of the school year, …"""
    return dt.date(class_of - 1, 4, 1)


def graduate_selection_opens(class_of: int) -> dt.date:
    """… with no selection before 1 June of it, …"""
    return dt.date(class_of - 1, 6, 1)


def graduate_valid_until(class_of: int) -> dt.date:
    """… and valid to 31 March of the school year."""
    return dt.date(class_of, 3, 31)


def _graduate_rules(c: PostingContent, today: dt.date, found: _Findings) -> None:
    class_of = PostingForm.graduate_class_of
    if c.graduate_class_of is None:
        found.error(
            ErrorCode.REQUIRED, "大卒等求人では卒業予定年を入力してください。", "graduate_class_of"
        )
    elif not class_of.low <= c.graduate_class_of <= class_of.high:
        pass  # the item's own error
    elif c.graduate_class_of < graduating_class(today):
        found.error(
            ErrorCode.OUT_OF_RANGE,
            f"{c.graduate_class_of}年3月卒業予定者の募集期間は終わっています。",
            "graduate_class_of",
        )
    elif today < (opens := graduate_acceptance_opens(c.graduate_class_of)):
        found.error(
            ErrorCode.GRADUATE_NOT_YET_ACCEPTED,
            f"{c.graduate_class_of}年3月卒業予定者の求人は"
            f"{opens.year}年{opens.month}月{opens.day}日から受け付けます。",
            "graduate_class_of",
        )
    if c.youth_employment_info is None:
        found.error(
            ErrorCode.REQUIRED,
            "大卒等求人では青少年雇用情報を入力してください。",
            "youth_employment_info",
        )


def _establishment_rules(c: PostingContent, found: _Findings) -> None:
    if c.workplace_employees is None:
        return
    for name in ("workplace_female_employees", "workplace_part_time_employees"):
        value = getattr(c, name)
        if value is not None and value > c.workplace_employees:
            found.error(
                ErrorCode.INCONSISTENT,
                f"{getattr(PostingForm, name).label}は従業員数 (就業場所) 以下で入力してください。",
                name,
            )


def _job_rules(c: PostingContent, found: _Findings) -> None:
    smoking = c.passive_smoking_measure
    if smoking is not None and smoking.smoking_allowed is not None:
        no_smoking = {SmokingMeasure.NO_SMOKING_INDOORS, SmokingMeasure.NO_SMOKING_ON_PREMISES}
        if smoking.measure in no_smoking and smoking.smoking_allowed:
            found.error(
                ErrorCode.INCONSISTENT,
                f"受動喫煙対策が「{smoking.measure.label}」の場合、喫煙可にはできません。",
                "passive_smoking_measure",
                "smoking_allowed",
            )
        if smoking.measure is SmokingMeasure.SMOKING_ALLOWED and not smoking.smoking_allowed:
            found.error(
                ErrorCode.INCONSISTENT,
                "受動喫煙対策が「屋内喫煙可」の場合、喫煙可を選択してください。",
                "passive_smoking_measure",
                "smoking_allowed",
            )
    if c.employment_period is EmploymentPeriod.FIXED_TERM:
        if not c.employment_period_detail:
            found.error(
                ErrorCode.REQUIRED,
                "雇用期間の定めがある場合は、その期間を入力してください。",
                "employment_period_detail",
            )
        if c.contract_renewal is None:
            found.error(
                ErrorCode.REQUIRED,
                "雇用期間の定めがある場合は、契約更新の可能性を選択してください。",
                "contract_renewal",
            )
        elif c.contract_renewal.has_upper_limit and not c.contract_renewal.upper_limit:
            found.error(
                ErrorCode.REQUIRED,
                "更新上限がある場合は、その内容を入力してください。",
                "contract_renewal",
                "upper_limit",
            )
    trial = c.trial_period
    if trial is not None and trial.has_trial_period:
        if trial.months is None:
            found.error(
                ErrorCode.REQUIRED, "試用期間の長さを入力してください。", "trial_period", "months"
            )
        elif trial.months > LONG_TRIAL_MONTHS:
            found.warn(
                WarningCode.LONG_TRIAL_PERIOD,
                f"試用期間が{LONG_TRIAL_MONTHS}か月を超えています。期間に誤りがないか確認してください。",
                "trial_period",
                "months",
            )
        if trial.conditions_differ is None:
            found.error(
                ErrorCode.REQUIRED,
                "試用期間中の労働条件が異なるかを選択してください。",
                "trial_period",
                "conditions_differ",
            )
        elif trial.conditions_differ and not trial.conditions:
            found.error(
                ErrorCode.REQUIRED,
                "試用期間中の労働条件が異なる場合は、その内容を入力してください。",
                "trial_period",
                "conditions",
            )
    if c.age_limit is not None:
        _age_limit_rules(c, c.age_limit, found)


def _age_limit_rules(c: PostingContent, limit: AgeLimit, found: _Findings) -> None:
    """年齢制限: allowed only under an exception of 労働施策総合推進法施行規則第1条の3."""
    path = ("age_limit",)
    if limit.lower is None and limit.upper is None:
        found.error(
            ErrorCode.REQUIRED,
            "年齢制限を設ける場合は、下限年齢か上限年齢を入力してください。",
            *path,
            "upper",
        )
        return
    if limit.lower is not None and limit.upper is not None and limit.lower > limit.upper:
        found.error(
            ErrorCode.OUT_OF_RANGE, "上限年齢は下限年齢以上で入力してください。", *path, "upper"
        )
    reason = limit.exception_reason
    if reason is None:
        return  # left out: `_left_out` said so
    if reason is AgeLimitReason.ITEM_1:
        if c.employment_period is not EmploymentPeriod.INDEFINITE:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                "1号による年齢制限は、期間の定めのない労働契約の募集に限られます。",
                *path,
                "exception_reason",
            )
        if c.retirement_age is None:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                "1号による年齢制限には定年年齢が必要です。",
                "retirement_age",
            )
        elif limit.lower is not None or limit.upper != c.retirement_age - 1:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                f"1号による年齢制限は、定年年齢未満（{c.retirement_age - 1}歳以下）を上限とする"
                "ものに限られます。",
                *path,
                "upper",
            )
    elif reason is AgeLimitReason.ITEM_3_I:
        if limit.lower is not None:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                "3号イによる年齢制限は上限年齢のみです。",
                *path,
                "lower",
            )
        if c.employment_period is not EmploymentPeriod.INDEFINITE:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                "3号イによる年齢制限は、期間の定めのない労働契約の募集に限られます。",
                *path,
                "exception_reason",
            )
        if c.required_experience:
            found.warn(
                WarningCode.AGE_LIMIT_3_I_WITH_EXPERIENCE,
                "3号イは職業経験を問わない募集に限られます。必要な経験等を確認してください。",
                "required_experience",
            )
    elif reason is AgeLimitReason.ITEM_3_RO:
        low, high = ITEM_3_RO_AGES
        if limit.lower is None or limit.upper is None or limit.lower < low or limit.upper > high:
            found.error(
                ErrorCode.AGE_LIMIT_NOT_ALLOWED,
                f"3号ロによる年齢制限は、{low}歳から{high}歳までの範囲で下限と上限を"
                "入力してください。",
                *path,
                "lower",
            )
    elif reason is AgeLimitReason.ITEM_3_NI and (
        limit.upper is not None or limit.lower is None or limit.lower < ITEM_3_NI_LOWEST
    ):
        found.error(
            ErrorCode.AGE_LIMIT_NOT_ALLOWED,
            f"3号ニによる年齢制限は、{ITEM_3_NI_LOWEST}歳以上などの下限年齢のみです。",
            *path,
            "lower",
        )


def _weekly_minutes(c: PostingContent) -> int | None:
    if c.daily_working_minutes is None or c.weekly_working_days is None:
        return None
    return c.daily_working_minutes * c.weekly_working_days


def _wage_rules(c: PostingContent, minimum: wages.Revision | None, found: _Findings) -> None:
    if c.base_wage_max < c.base_wage_min:
        found.error(
            ErrorCode.OUT_OF_RANGE,
            "基本給（上限）は基本給（下限）以上で入力してください。",
            "base_wage_max",
        )
    elif c.base_wage_max > c.base_wage_min * WIDE_WAGE_FACTOR:
        found.warn(
            WarningCode.WIDE_WAGE_RANGE,
            "基本給の上限が下限の2倍を超えています。賃金の幅を確認してください。",
            "base_wage_max",
        )
    if minimum is not None:
        _minimum_wage_rule(c, minimum, found)
    overtime_pay = c.fixed_overtime_pay
    if overtime_pay is not None:
        if overtime_pay.excess_paid is False:
            found.error(
                ErrorCode.UNLAWFUL,
                "固定残業時間を超える時間外労働分は、追加で支払う必要があります。",
                "fixed_overtime_pay",
                "excess_paid",
            )
        if c.has_overtime is False:
            found.error(
                ErrorCode.INCONSISTENT,
                "固定残業代がある場合は、時間外労働を「あり」にしてください。",
                "has_overtime",
            )
    commute = c.commute_allowance
    if (
        commute is not None
        and commute.payment in (CommutePay.CAPPED, CommutePay.FIXED)
        and commute.monthly_amount is None
    ):
        found.error(
            ErrorCode.REQUIRED,
            "通勤手当の月額を入力してください。",
            "commute_allowance",
            "monthly_amount",
        )


def minimum_wage_floor(
    form: WageForm, hourly: int, *, daily_minutes: int, annual_holidays: int
) -> tuple[int, int]:
    """The wage a posting's wage is compared with, as the fraction (numerator, denominator)
    of yen that the wage must reach: hourly as is; daily over the posting's hours a day; monthly
    over its monthly average hours, (365 − annual holidays) × hours a day ÷ 12."""
    if form is WageForm.HOURLY:
        return hourly, 1
    if form is WageForm.DAILY:
        return hourly * daily_minutes, 60
    return hourly * (DAYS_PER_YEAR - annual_holidays) * daily_minutes, 12 * 60


def _minimum_wage_rule(c: PostingContent, minimum: wages.Revision, found: _Findings) -> None:
    if c.wage_form is not WageForm.HOURLY and (
        c.daily_working_minutes is None or c.annual_holidays is None
    ):
        return  # the conversion needs them: left out, `_left_out` said so
    numerator, denominator = minimum_wage_floor(
        c.wage_form,
        minimum.yen,
        daily_minutes=c.daily_working_minutes or 0,
        annual_holidays=c.annual_holidays,
    )
    floor = -(-numerator // denominator)
    allowances = sum(a.amount or 0 for a in c.fixed_allowances)
    with_allowances = c.base_wage_min + (allowances if c.wage_form is WageForm.MONTHLY else 0)
    since = minimum.effective_from
    rule = (
        f"{c.workplace_prefecture}の最低賃金 時間額{minimum.yen:,}円"
        f"（{since.year}年{since.month}月{since.day}日から）"
    )
    if with_allowances * denominator < numerator:
        found.error(
            ErrorCode.BELOW_MINIMUM_WAGE,
            f"基本給（下限）は{floor:,}円以上で入力してください（{rule}）。",
            "base_wage_min",
        )
    elif c.base_wage_min * denominator < numerator:
        found.warn(
            WarningCode.BASE_WAGE_BELOW_MINIMUM_WAGE,
            f"基本給のみでは{rule}を下回ります。定額的に支払われる手当が最低賃金の対象と"
            "なるものか確認してください。",
            "base_wage_min",
        )


def _hours_rules(c: PostingContent, found: _Findings) -> None:
    daily = c.daily_working_minutes
    if daily is not None and c.break_minutes is not None:
        for over, least in BREAK_RULES:
            if daily > over and c.break_minutes < least:
                found.error(
                    ErrorCode.UNLAWFUL,
                    f"労働時間が{over // 60}時間を超える場合、休憩時間は{least}分以上必要です。",
                    "break_minutes",
                )
                break
    variable = c.variable_working_hours
    weekly = _weekly_minutes(c)
    if variable is VariableHours.NONE:
        if daily is not None and daily > DAILY_LIMIT_MINUTES:
            found.error(
                ErrorCode.UNLAWFUL,
                "変形労働時間制でない場合、1日の所定労働時間は8時間以内です。",
                "daily_working_minutes",
            )
        elif weekly is not None and weekly > WEEKLY_LIMIT_MINUTES:
            found.error(
                ErrorCode.UNLAWFUL,
                "変形労働時間制でない場合、週の所定労働時間は40時間以内です。",
                "weekly_working_days",
            )
    if daily is not None and variable is not None and variable is not VariableHours.FLEXTIME:
        # On average over the year, any form of hours stays within 40 a week.
        working_days = DAYS_PER_YEAR - c.annual_holidays
        if working_days * daily * 7 > WEEKLY_LIMIT_MINUTES * DAYS_PER_YEAR:
            least = DAYS_PER_YEAR - (WEEKLY_LIMIT_MINUTES * DAYS_PER_YEAR) // (daily * 7)
            found.error(
                ErrorCode.UNLAWFUL,
                f"1日{daily // 60}時間{daily % 60:02d}分の勤務では、週40時間以内とするために"
                f"年間休日数が{least}日以上必要です。",
                "annual_holidays",
            )
    if c.weekly_working_days is not None:
        working_days = DAYS_PER_YEAR - c.annual_holidays
        expected = c.weekly_working_days * 52
        if abs(working_days - expected) > HOLIDAY_SLACK_DAYS:
            found.warn(
                WarningCode.HOLIDAYS_INCONSISTENT,
                f"年間休日数{c.annual_holidays}日と週所定労働日数{c.weekly_working_days}日が"
                "合っていません。確認してください。",
                "annual_holidays",
            )
    if weekly is not None:
        if c.work_style is WorkStyle.PART_TIME and weekly >= WEEKLY_LIMIT_MINUTES:
            found.warn(
                WarningCode.WORK_STYLE_BY_HOURS,
                "週40時間の勤務はフルタイムです。就業形態を確認してください。",
                "work_style",
            )
        if c.work_style is WorkStyle.FULL_TIME and weekly < FULL_PAID_LEAVE_WEEKLY_MINUTES:
            found.warn(
                WarningCode.WORK_STYLE_BY_HOURS,
                "週30時間未満の勤務はパートです。就業形態を確認してください。",
                "work_style",
            )
    if c.has_overtime:
        overtime = c.overtime
        if overtime is None:
            found.error(
                ErrorCode.REQUIRED,
                "時間外労働がある場合は、月平均時間外労働時間を入力してください。",
                "overtime",
            )
        elif (
            overtime.monthly_average_hours is not None
            and overtime.monthly_average_hours > MONTHLY_OVERTIME_LIMIT_HOURS
            and not overtime.special_clause
        ):
            found.error(
                ErrorCode.UNLAWFUL,
                f"36協定の特別条項がない場合、時間外労働は月{MONTHLY_OVERTIME_LIMIT_HOURS}時間"
                "以内です。",
                "overtime",
                "monthly_average_hours",
            )
    leave = legal_paid_leave_days(c.weekly_working_days, weekly)
    if (
        leave is not None
        and c.annual_paid_leave_days is not None
        and c.annual_paid_leave_days < leave
    ):
        found.error(
            ErrorCode.UNLAWFUL,
            f"6か月経過後の年次有給休暇は{leave}日以上です（労働基準法第39条）。",
            "annual_paid_leave_days",
        )


def legal_paid_leave_days(weekly_days: int | None, weekly_minutes: int | None) -> int | None:
    """The least 年次有給休暇 after six months for the days and hours worked a week."""
    if weekly_days is None or weekly_minutes is None:
        return None
    if weekly_days >= 5 or weekly_minutes >= FULL_PAID_LEAVE_WEEKLY_MINUTES:
        return FULL_PAID_LEAVE_DAYS
    # Out of range (0 or fewer days a week) is the item's own error.
    return PROPORTIONAL_PAID_LEAVE_DAYS.get(weekly_days)


def _insurance_rules(c: PostingContent, found: _Findings) -> None:
    if Insurance.WORKERS_ACCIDENT not in c.insurances and (
        Insurance.PUBLIC_SERVICE_ACCIDENT not in c.insurances
    ):
        found.warn(
            WarningCode.INSURANCE_LIKELY_REQUIRED,
            "労災保険は労働者を一人でも雇う事業所で加入が必要です。加入保険等を確認してください。",
            "insurances",
        )
    weekly = _weekly_minutes(c)
    if (
        weekly is not None
        and weekly >= EMPLOYMENT_INSURANCE_WEEKLY_MINUTES
        and Insurance.EMPLOYMENT not in c.insurances
    ):
        found.warn(
            WarningCode.INSURANCE_LIKELY_REQUIRED,
            "週20時間以上の勤務では雇用保険の加入が必要です。加入保険等を確認してください。",
            "insurances",
        )
    continued = [
        (name, group)
        for name, group in (
            ("reemployment", c.reemployment),
            ("extended_employment", c.extended_employment),
        )
        if group is not None and group.available
    ]
    if c.retirement_age is None:
        for name, _group in continued:
            found.error(
                ErrorCode.INCONSISTENT,
                f"{getattr(PostingForm, name).label}は定年がある場合に入力してください。",
                name,
            )
        return
    for name, group in continued:
        if group.upper_age is not None and group.upper_age <= c.retirement_age:
            found.error(
                ErrorCode.OUT_OF_RANGE,
                f"{getattr(PostingForm, name).label}の上限年齢は定年年齢より上で入力してください。",
                name,
                "upper_age",
            )
    secured = max([c.retirement_age] + [g.upper_age or 0 for _n, g in continued])
    if secured < SECURED_EMPLOYMENT_AGE:
        found.warn(
            WarningCode.EMPLOYMENT_TO_65_NOT_SECURED,
            "65歳までの雇用確保措置（再雇用制度・勤務延長など）が必要です。定年等を確認してください。",
            "retirement_age",
        )


# --- The check -----------------------------------------------------------------------------

_ORDER: dict[str, int] = {item.name: i for i, item in enumerate(ITEMS)}


def _position(field: str | None) -> int:
    if field is None:
        return -1
    return _ORDER.get(field.split(".")[1], len(_ORDER))


def minimum_wage_for(content: PostingContent, today: dt.date) -> wages.Revision | None:
    if content.workplace_prefecture not in wages.PREFECTURES:
        return None
    return wages.in_force(content.workplace_prefecture, today)


def check(content: PostingContent, today: dt.date) -> CheckResult:
    """Every error and warning of the content on `today`, each in the form's order."""
    errors = well_formed(content)
    at_fault = {error.field for error in errors}
    for item in ITEMS:
        value = getattr(content, item.name)
        if _field(item.name) not in at_fault:
            errors.extend(_left_out(item, value, (item.name,)))
    found = _Findings()
    minimum = minimum_wage_for(content, today)
    if not errors_at(errors, "base_wage_min", "base_wage_max"):
        _wage_rules(content, minimum, found)
    _category_rules(content, today, found)
    _establishment_rules(content, found)
    _job_rules(content, found)
    _hours_rules(content, found)
    _insurance_rules(content, found)
    reported = {error.field for error in errors}
    errors.extend(error for error in found.errors if error.field not in reported)
    errors.sort(key=lambda error: _position(error.field))
    warnings = sorted(found.warnings, key=lambda warning: _position(warning.field))
    return CheckResult(errors=errors, warnings=warnings, minimum_wage=minimum)


def errors_at(errors: Iterable[UserError], *names: str) -> bool:
    fields = {_field(name) for name in names}
    return any(error.field in fields for error in errors)


def unacknowledged(
    result: CheckResult, acknowledged: Iterable[WarningCode]
) -> list[PostingWarning]:
    """The warnings whose codes were not confirmed."""
    confirmed = set(acknowledged)
    return [warning for warning in result.warnings if warning.code not in confirmed]
