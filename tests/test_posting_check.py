"""The rules of the posting check (求人票), each on both sides of its boundary.

The check is a pure function of the content and the day; these tests call it directly (the API
that answers it, `postingCheck`, and the refusal at submission are tested in test_postings.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from app.models import posting_form as form
from app.resolvers import posting_check
from app.resolvers.posting_check import WarningCode
from app.resolvers.postings import PostingContent

TODAY = dt.date(2026, 11, 25)


def content(**changes: Any) -> PostingContent:
    """A complete, lawful form with no warning (the same posting as tests/flows.py)."""
    values: dict[str, Any] = {
        "category": form.PostingCategory.GENERAL,
        "graduate_class_of": None,
        "work_style": form.WorkStyle.FULL_TIME,
        "employment_type": form.EmploymentType.REGULAR,
        "contracting_work": False,
        "trial_employment": False,
        "publication_range": form.PublicationRange.WITH_NAME,
        "accepts_online_applications": True,
        "business_content": "",
        "company_features": "",
        "workplace_employees": 45,
        "workplace_female_employees": 30,
        "workplace_part_time_employees": 10,
        "has_work_rules": True,
        "childcare_leave_taken": True,
        "youth_employment_info": None,
        "job_title": "介護職員",
        "job_description": "入居者の生活支援",
        "workplace_postal_code": "112-8577",
        "workplace_prefecture": "東京都",
        "workplace_address": "東京都文京区後楽1-9-20",
        "nearest_station": "",
        "passive_smoking_measure": form.PassiveSmokingMeasure(
            measure=form.SmokingMeasure.NO_SMOKING_INDOORS, smoking_allowed=False
        ),
        "employment_period": form.EmploymentPeriod.INDEFINITE,
        "employment_period_detail": "",
        "contract_renewal": None,
        "trial_period": form.TrialPeriod(has_trial_period=True, months=3, conditions_differ=False),
        "number_to_hire": 2,
        "required_experience": "",
        "required_licenses": "",
        "education_requirement": form.EducationRequirement(level=form.EducationLevel.ANY),
        "age_limit": None,
        "workplace_change_scope": "変更なし",
        "job_change_scope": "会社の定める業務",
        "wage_form": form.WageForm.MONTHLY,
        "base_wage_min": 220000,
        "base_wage_max": 280000,
        "fixed_allowances": [],
        "fixed_overtime_pay": None,
        "allowances": "",
        "commute_allowance": form.CommuteAllowance(payment=form.CommutePay.ACTUAL),
        "pay_day": "月末締切 翌月25日支払",
        "pay_raise": form.PayRaise(has_raise=False),
        "bonus": form.Bonus(has_bonus=False),
        "working_hours": "8時30分〜17時30分",
        "daily_working_minutes": 480,
        "weekly_working_days": 5,
        "variable_working_hours": form.VariableHours.NONE,
        "break_minutes": 60,
        "has_overtime": False,
        "overtime": None,
        "overtime_detail": "",
        "annual_holidays": 120,
        "weekly_two_days_off": form.WeeklyTwoDaysOff.EVERY_WEEK,
        "holidays_detail": "",
        "annual_paid_leave_days": 10,
        "insurances": [form.Insurance.EMPLOYMENT, form.Insurance.WORKERS_ACCIDENT],
        "insurance": "",
        "retirement_allowance": True,
        "retirement_age": 65,
        "reemployment": None,
        "extended_employment": None,
        "special_notes": "",
        "pr": "",
        "selection_method": "面接",
        "documents": "",
        "result_notice_days": 7,
        "result_notice_method": form.ResultNotice.EMAIL,
        "contact": "人事課",
    }
    values.update(changes)
    return PostingContent(**values)


def findings(
    checked: PostingContent, today: dt.date = TODAY
) -> tuple[list[tuple[str | None, str]], list[tuple[str, str]]]:
    result = posting_check.check(checked, today)
    return (
        [(e.field, e.code.value) for e in result.errors],
        [(w.field, w.code.value) for w in result.warnings],
    )


def errors(checked: PostingContent, today: dt.date = TODAY) -> list[tuple[str | None, str]]:
    return findings(checked, today)[0]


def warnings(checked: PostingContent, today: dt.date = TODAY) -> list[tuple[str, str]]:
    return findings(checked, today)[1]


def test_the_complete_form_has_no_finding() -> None:
    assert findings(content()) == ([], [])


def test_every_item_is_declared_in_one_of_the_eight_sections_in_order() -> None:
    sections = [item.section for item in form.ITEMS]
    assert sections == sorted(sections, key=list(form.Section).index)  # type: ignore[arg-type]
    assert set(sections) == set(form.Section)
    leaves = sum(len(getattr(item, "parts", ())) or 1 for item in form.ITEMS)
    assert leaves >= 100


# --- Text lengths and ranges (what a draft cannot be saved with) ---------------------------


@pytest.mark.parametrize(("length", "ok"), [(50, True), (51, False)])
def test_job_title_length(length: int, ok: bool) -> None:
    checked = content(job_title="職" * length)
    assert (posting_check.well_formed(checked) == []) is ok
    assert (("content.job_title", "TOO_LONG") in errors(checked)) is not ok


@pytest.mark.parametrize(("count", "ok"), [(10, True), (11, False)])
def test_at_most_ten_fixed_allowances(count: int, ok: bool) -> None:
    allowances = [form.FixedAllowance(name="手当", amount=1000)] * count
    found = errors(content(fixed_allowances=allowances))
    assert (("content.fixed_allowances", "OUT_OF_RANGE") in found) is not ok


def test_a_fixed_allowance_needs_its_name_and_amount() -> None:
    found = errors(content(fixed_allowances=[form.FixedAllowance(name="", amount=None)]))
    assert found == [
        ("content.fixed_allowances.0.name", "REQUIRED"),
        ("content.fixed_allowances.0.amount", "REQUIRED"),
    ]


# --- Minimum wage (地域別最低賃金, in force on the day, by the workplace's prefecture) -----


@pytest.mark.parametrize(
    ("wage_form", "daily", "holidays", "lowest"),
    [
        (form.WageForm.HOURLY, 480, 120, 1226),
        # 7 hours 30 minutes a day: ¥1,226 × 7.5 = ¥9,195.
        (form.WageForm.DAILY, 450, 120, 9195),
        # 125 holidays of 8 hours: (365 − 125) × 8 ÷ 12 = 160 hours a month, ¥196,160.
        (form.WageForm.MONTHLY, 480, 125, 196160),
    ],
)
def test_tokyo_minimum_wage_by_wage_form(
    wage_form: form.WageForm, daily: int, holidays: int, lowest: int
) -> None:
    def at(wage: int) -> PostingContent:
        return content(
            wage_form=wage_form,
            base_wage_min=wage,
            base_wage_max=wage,
            daily_working_minutes=daily,
            annual_holidays=holidays,
        )

    assert ("content.base_wage_min", "BELOW_MINIMUM_WAGE") in errors(at(lowest - 1))
    assert errors(at(lowest)) == []
    message = posting_check.check(at(lowest - 1), TODAY).errors[0].message
    assert f"{lowest:,}円以上" in message
    assert "東京都の最低賃金 時間額1,226円" in message


def test_tokyo_figure_changes_on_its_effective_date() -> None:
    # ¥1,163 until 2025-10-02, ¥1,226 from 2025-10-03.
    hourly = content(wage_form=form.WageForm.HOURLY, base_wage_min=1163, base_wage_max=1300)
    assert errors(hourly, dt.date(2025, 10, 2)) == []
    assert errors(hourly, dt.date(2025, 10, 3)) == [("content.base_wage_min", "BELOW_MINIMUM_WAGE")]


def test_a_prefecture_whose_new_figure_takes_effect_later_than_tokyos() -> None:
    # 秋田県: ¥951 from 2024-10-01, ¥1,031 from 2026-03-31 (after Tokyo's 2025-10-03).
    def akita(wage: int) -> PostingContent:
        return content(
            workplace_prefecture="秋田県",
            wage_form=form.WageForm.HOURLY,
            base_wage_min=wage,
            base_wage_max=1500,
        )

    before, on = dt.date(2026, 3, 30), dt.date(2026, 3, 31)
    assert errors(akita(950), before) == [("content.base_wage_min", "BELOW_MINIMUM_WAGE")]
    assert errors(akita(951), before) == []
    assert errors(akita(1030), on) == [("content.base_wage_min", "BELOW_MINIMUM_WAGE")]
    assert errors(akita(1031), on) == []


def test_fixed_allowances_count_towards_a_monthly_minimum_wage_with_a_warning() -> None:
    # ¥196,160 a month (Tokyo, 125 holidays of 8 hours): ¥190,000 and a ¥6,160 allowance.
    def with_allowance(amount: int) -> PostingContent:
        return content(
            base_wage_min=190000,
            base_wage_max=200000,
            annual_holidays=125,
            fixed_allowances=[form.FixedAllowance(name="資格手当", amount=amount)],
        )

    assert findings(with_allowance(6160)) == (
        [],
        [("content.base_wage_min", WarningCode.BASE_WAGE_BELOW_MINIMUM_WAGE.value)],
    )
    assert errors(with_allowance(6159)) == [("content.base_wage_min", "BELOW_MINIMUM_WAGE")]


@pytest.mark.parametrize(("top", "warned"), [(440000, False), (440001, True)])
def test_a_wage_range_over_twice_its_bottom_is_warned(top: int, warned: bool) -> None:
    found = warnings(content(base_wage_min=220000, base_wage_max=top))
    assert (("content.base_wage_max", "WIDE_WAGE_RANGE") in found) is warned


def test_the_top_of_the_wage_is_not_below_its_bottom() -> None:
    assert errors(content(base_wage_min=220000, base_wage_max=219999)) == [
        ("content.base_wage_max", "OUT_OF_RANGE")
    ]


# --- 固定残業代 -------------------------------------------------------------------------------


def test_fixed_overtime_pay_needs_amount_hours_and_excess_paid() -> None:
    given = form.FixedOvertimePay(amount=30000, hours=20, excess_paid=True)
    assert errors(content(fixed_overtime_pay=given, has_overtime=True, overtime=_overtime())) == []
    assert errors(
        content(fixed_overtime_pay=form.FixedOvertimePay(), has_overtime=True, overtime=_overtime())
    ) == [
        ("content.fixed_overtime_pay.amount", "REQUIRED"),
        ("content.fixed_overtime_pay.hours", "REQUIRED"),
        ("content.fixed_overtime_pay.excess_paid", "REQUIRED"),
    ]
    unpaid = dataclasses.replace(given, excess_paid=False)
    assert errors(content(fixed_overtime_pay=unpaid, has_overtime=True, overtime=_overtime())) == [
        ("content.fixed_overtime_pay.excess_paid", "UNLAWFUL")
    ]
    assert errors(content(fixed_overtime_pay=given)) == [("content.has_overtime", "INCONSISTENT")]


def _overtime(hours: int = 10, special: bool = False) -> form.Overtime:
    return form.Overtime(monthly_average_hours=hours, special_clause=special)


@pytest.mark.parametrize(
    ("hours", "special", "ok"), [(45, False, True), (46, False, False), (46, True, True)]
)
def test_overtime_over_45_hours_needs_the_special_clause(
    hours: int, special: bool, ok: bool
) -> None:
    found = errors(content(has_overtime=True, overtime=_overtime(hours, special)))
    assert (found == []) is ok


def test_overtime_needs_its_detail() -> None:
    assert errors(content(has_overtime=True, overtime=None)) == [("content.overtime", "REQUIRED")]


# --- 年齢制限 (例外事由) ------------------------------------------------------------------------


def _limit(**values: Any) -> form.AgeLimit:
    return form.AgeLimit(reason_text="理由", **values)


def test_an_age_limit_needs_its_exception_reason_and_text() -> None:
    assert errors(content(age_limit=form.AgeLimit(upper=59))) == [
        ("content.age_limit.exception_reason", "REQUIRED"),
        ("content.age_limit.reason_text", "REQUIRED"),
    ]


@pytest.mark.parametrize(("upper", "ok"), [(64, True), (65, False), (63, False)])
def test_item_1_is_the_retirement_age_as_the_limit(upper: int, ok: bool) -> None:
    limit = _limit(upper=upper, exception_reason=form.AgeLimitReason.ITEM_1)
    found = errors(content(age_limit=limit, retirement_age=65))
    assert (found == []) is ok, found


def test_item_1_only_with_an_indefinite_contract() -> None:
    limit = _limit(upper=64, exception_reason=form.AgeLimitReason.ITEM_1)
    found = errors(
        content(
            age_limit=limit,
            employment_period=form.EmploymentPeriod.FIXED_TERM,
            employment_period_detail="1年",
            contract_renewal=form.ContractRenewal(
                possibility=form.RenewalPossibility.AUTOMATIC, has_upper_limit=False
            ),
        )
    )
    assert found == [("content.age_limit.exception_reason", "AGE_LIMIT_NOT_ALLOWED")]


def test_a_lower_bound_is_allowed_under_item_2() -> None:
    limit = _limit(lower=18, exception_reason=form.AgeLimitReason.ITEM_2)
    assert errors(content(age_limit=limit)) == []


@pytest.mark.parametrize(
    ("lower", "upper", "ok"), [(30, 39, True), (29, 39, False), (40, 50, False)]
)
def test_item_3_ro_within_30_to_49(lower: int, upper: int, ok: bool) -> None:
    limit = _limit(lower=lower, upper=upper, exception_reason=form.AgeLimitReason.ITEM_3_RO)
    assert (errors(content(age_limit=limit)) == []) is ok


@pytest.mark.parametrize(("lower", "ok"), [(60, True), (59, False)])
def test_item_3_ni_from_60(lower: int, ok: bool) -> None:
    limit = _limit(lower=lower, exception_reason=form.AgeLimitReason.ITEM_3_NI)
    assert (errors(content(age_limit=limit)) == []) is ok


def test_item_3_i_is_for_hiring_without_experience() -> None:
    limit = _limit(upper=35, exception_reason=form.AgeLimitReason.ITEM_3_I)
    assert findings(content(age_limit=limit)) == ([], [])
    assert warnings(content(age_limit=limit, required_experience="介護経験3年")) == [
        ("content.required_experience", "AGE_LIMIT_3_I_WITH_EXPERIENCE")
    ]


# --- Hours, breaks and paid leave (労働基準法) -------------------------------------------------


@pytest.mark.parametrize(
    ("daily", "break_minutes", "ok"),
    [(360, 0, True), (361, 44, False), (361, 45, True), (480, 45, True), (481, 59, False)],
)
def test_breaks(daily: int, break_minutes: int, ok: bool) -> None:
    checked = content(
        daily_working_minutes=daily,
        break_minutes=break_minutes,
        variable_working_hours=form.VariableHours.MONTHLY,
    )
    assert (("content.break_minutes", "UNLAWFUL") in errors(checked)) is not ok


@pytest.mark.parametrize(("daily", "ok"), [(480, True), (481, False)])
def test_eight_hours_a_day_without_variable_hours(daily: int, ok: bool) -> None:
    found = errors(content(daily_working_minutes=daily, annual_holidays=125))
    assert (("content.daily_working_minutes", "UNLAWFUL") in found) is not ok


@pytest.mark.parametrize(("days", "ok"), [(5, True), (6, False)])
def test_forty_hours_a_week_without_variable_hours(days: int, ok: bool) -> None:
    found = errors(content(weekly_working_days=days, annual_holidays=120))
    assert (("content.weekly_working_days", "UNLAWFUL") in found) is not ok


@pytest.mark.parametrize(("holidays", "ok"), [(105, True), (104, False)])
def test_annual_holidays_keep_forty_hours_a_week_on_average(holidays: int, ok: bool) -> None:
    # 8 hours a day: (365 − 105) × 8 = 2,080 hours ≤ 40 × 365 ÷ 7 = 2,085.7; 104 gives 2,088.
    found = errors(
        content(annual_holidays=holidays, variable_working_hours=form.VariableHours.YEARLY)
    )
    assert (("content.annual_holidays", "UNLAWFUL") in found) is not ok


@pytest.mark.parametrize(
    ("holidays", "warned"), [(130, False), (131, True), (80, False), (79, True)]
)
def test_annual_holidays_and_days_a_week_add_up(holidays: int, warned: bool) -> None:
    # 5 days a week: 260 working days, so about 105 holidays; 25 days either way pass.
    checked = content(annual_holidays=holidays, daily_working_minutes=420, weekly_working_days=5)
    found = warnings(checked)
    assert (("content.annual_holidays", "HOLIDAYS_INCONSISTENT") in found) is warned


@pytest.mark.parametrize(
    ("days", "daily", "least"),
    [(5, 480, 10), (4, 450, 10), (4, 420, 7), (3, 240, 5), (2, 240, 3), (1, 240, 1)],
)
def test_paid_leave_after_six_months(days: int, daily: int, least: int) -> None:
    def with_leave(leave: int) -> PostingContent:
        return content(
            work_style=form.WorkStyle.PART_TIME
            if days * daily < 1800
            else form.WorkStyle.FULL_TIME,
            weekly_working_days=days,
            daily_working_minutes=daily,
            annual_holidays=365 - days * 52,
            annual_paid_leave_days=leave,
            wage_form=form.WageForm.HOURLY,
            base_wage_min=1300,
            base_wage_max=1500,
        )

    assert ("content.annual_paid_leave_days", "UNLAWFUL") in errors(with_leave(least - 1))
    assert ("content.annual_paid_leave_days", "UNLAWFUL") not in errors(with_leave(least))


@pytest.mark.parametrize(
    ("style", "days", "warned"),
    [
        (form.WorkStyle.PART_TIME, 4, False),
        (form.WorkStyle.PART_TIME, 5, True),
        (form.WorkStyle.FULL_TIME, 4, False),
    ],
)
def test_full_or_part_time_is_decided_by_the_hours(
    style: form.WorkStyle, days: int, warned: bool
) -> None:
    checked = content(work_style=style, weekly_working_days=days, annual_holidays=365 - days * 52)
    found = warnings(checked)
    assert (("content.work_style", "WORK_STYLE_BY_HOURS") in found) is warned


# --- Category, contract, publication ----------------------------------------------------------


def test_dispatch_is_fixed_term_or_indefinite() -> None:
    assert errors(content(employment_type=form.EmploymentType.DISPATCH)) == [
        ("content.employment_type", "INVALID_FORMAT")
    ]
    assert errors(content(employment_type=form.EmploymentType.FIXED_TERM_DISPATCH)) == [
        ("content.employment_period", "INCONSISTENT")
    ]
    assert errors(content(employment_type=form.EmploymentType.INDEFINITE_DISPATCH)) == []


def test_a_fixed_term_contract_needs_its_period_and_renewal() -> None:
    fixed = content(employment_period=form.EmploymentPeriod.FIXED_TERM)
    assert errors(fixed) == [
        ("content.employment_period_detail", "REQUIRED"),
        ("content.contract_renewal", "REQUIRED"),
    ]
    limited = form.ContractRenewal(
        possibility=form.RenewalPossibility.CONDITIONAL, has_upper_limit=True
    )
    assert errors(
        content(
            employment_period=form.EmploymentPeriod.FIXED_TERM,
            employment_period_detail="1年",
            contract_renewal=limited,
        )
    ) == [("content.contract_renewal.upper_limit", "REQUIRED")]


@pytest.mark.parametrize(
    ("publication", "ok"),
    [
        (form.PublicationRange.WITH_NAME, True),
        (form.PublicationRange.WITHOUT_NAME, True),
        (form.PublicationRange.NAME_TO_SEEKERS_ONLY, False),
        (form.PublicationRange.NOT_PUBLISHED, False),
    ],
)
def test_online_applications_only_with_the_first_two_ranges(
    publication: form.PublicationRange, ok: bool
) -> None:
    found = errors(content(publication_range=publication))
    assert (found == []) is ok
    assert errors(content(publication_range=publication, accepts_online_applications=False)) == []


def test_smoking_measure_and_whether_smoking_is_allowed_agree() -> None:
    contradicting = form.PassiveSmokingMeasure(
        measure=form.SmokingMeasure.NO_SMOKING_ON_PREMISES, smoking_allowed=True
    )
    assert errors(content(passive_smoking_measure=contradicting)) == [
        ("content.passive_smoking_measure.smoking_allowed", "INCONSISTENT")
    ]


def test_a_trial_period_with_other_conditions_says_them() -> None:
    differing = form.TrialPeriod(has_trial_period=True, months=3, conditions_differ=True)
    assert errors(content(trial_period=differing)) == [
        ("content.trial_period.conditions", "REQUIRED")
    ]


@pytest.mark.parametrize(("months", "warned"), [(6, False), (7, True)])
def test_a_long_trial_period_is_warned(months: int, warned: bool) -> None:
    trial = form.TrialPeriod(has_trial_period=True, months=months, conditions_differ=False)
    assert (warnings(content(trial_period=trial)) != []) is warned


@pytest.mark.parametrize(("age", "warned"), [(64, True), (65, False)])
def test_employment_to_65_is_secured(age: int, warned: bool) -> None:
    found = warnings(content(retirement_age=age))
    assert (("content.retirement_age", "EMPLOYMENT_TO_65_NOT_SECURED") in found) is warned
    to_65 = form.ContinuedEmployment(available=True, upper_age=65)
    assert warnings(content(retirement_age=60, reemployment=to_65)) == []


def test_insurances_likely_required() -> None:
    assert warnings(content(insurances=[form.Insurance.WORKERS_ACCIDENT])) == [
        ("content.insurances", "INSURANCE_LIKELY_REQUIRED")
    ]


# --- 大卒等 -------------------------------------------------------------------------------------


def _graduate(class_of: int | None, **changes: Any) -> PostingContent:
    youth = form.YouthEmploymentInfo(
        graduate_hires_last_year=3,
        graduate_hires_two_years_ago=2,
        graduate_hires_three_years_ago=4,
        leavers_last_year=0,
        leavers_two_years_ago=1,
        leavers_three_years_ago=0,
        training="新入社員研修 (2週間)",
        average_monthly_overtime_hours=10,
        average_paid_leave_days_taken=12,
    )
    changes.setdefault("youth_employment_info", youth)
    return content(category=form.PostingCategory.GRADUATE, graduate_class_of=class_of, **changes)


def test_graduate_postings_are_accepted_from_1_february_of_the_year_before() -> None:
    assert errors(_graduate(2028), dt.date(2027, 1, 31)) == [
        ("content.graduate_class_of", "GRADUATE_NOT_YET_ACCEPTED")
    ]
    assert errors(_graduate(2028), dt.date(2027, 2, 1)) == []


def test_graduate_postings_for_a_class_that_has_graduated_are_refused() -> None:
    assert errors(_graduate(2026), dt.date(2026, 3, 31)) == []
    assert errors(_graduate(2026), dt.date(2026, 4, 1)) == [
        ("content.graduate_class_of", "OUT_OF_RANGE")
    ]


def test_graduate_postings_need_the_class_and_youth_employment_information() -> None:
    assert errors(_graduate(None, youth_employment_info=None)) == [
        ("content.graduate_class_of", "REQUIRED"),
        ("content.youth_employment_info", "REQUIRED"),
    ]
    partial = form.YouthEmploymentInfo(training="研修")
    found = errors(_graduate(2027, youth_employment_info=partial))
    assert ("content.youth_employment_info.graduate_hires_last_year", "REQUIRED") in found
    assert errors(content(graduate_class_of=2027)) == [
        ("content.graduate_class_of", "INCONSISTENT")
    ]


def test_graduate_dates() -> None:
    assert posting_check.graduate_acceptance_opens(2027) == dt.date(2026, 2, 1)
    assert posting_check.graduate_publication_opens(2027) == dt.date(2026, 4, 1)
    assert posting_check.graduate_selection_opens(2027) == dt.date(2026, 6, 1)
    assert posting_check.graduate_valid_until(2027) == dt.date(2027, 3, 31)
    assert posting_check.graduating_class(dt.date(2026, 3, 31)) == 2026
    assert posting_check.graduating_class(dt.date(2026, 4, 1)) == 2027


def test_an_old_draft_reads_and_names_the_new_items_as_missing() -> None:
    """A posting stored before the whole 求人票 was asked for: each item it lacks is left out,
    and required at its next submission, not before."""
    stored = {
        name: value
        for name, value in content().stored().items()
        if name not in {"passive_smoking_measure", "trial_period", "job_change_scope"}
    }
    old = PostingContent.from_json(stored)
    assert old.passive_smoking_measure is None
    assert posting_check.well_formed(old) == []
    assert errors(old) == [
        ("content.passive_smoking_measure", "REQUIRED"),
        ("content.trial_period", "REQUIRED"),
        ("content.job_change_scope", "REQUIRED"),
    ]
