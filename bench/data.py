"""Benchmark data (`python -m bench.data`): offices, establishments, postings, applicants
and messages in realistic proportions, written fast: chunked `executemany` inserts on SQLite,
binary `COPY` (asyncpg's `copy_records_to_table`, streamed while the rows are made) on
PostgreSQL.

The data is a function of the sizes, the seed and the day it is generated on (referral
deadlines must lie ahead of today, or the expiry task would end every posting). Every posting's
form (求人票) is complete and passes the posting check on that day with no warning, as a
submitted posting's does (`posting_form`). It includes one known employer login,
`BENCH_EMAIL` / `BENCH_PASSWORD` of the first establishment, and one of its applicants,
`BENCH_SEEKER_EMAIL`, who writes to it; the benchmark opens sessions for them with
`open_session` or logs in through the API.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.relational import RelationalField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app import models
from app.models import posting_form as form
from app.models.accounts import Portal
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.messages import MessageSender
from app.models.postings import (
    EmploymentPeriod,
    EmploymentType,
    Insurance,
    PostingAction,
    PostingCategory,
    PostingStatus,
    PublicationRange,
    WageForm,
    WeeklyTwoDaysOff,
    WorkStyle,
)
from app.resolvers.accounts import DEVICE_PURPOSE, SESSION_PURPOSE
from app.resolvers.posting_check import graduating_class
from app.resolvers.postings import PostingContent
from app.runtime import Runtime
from app.security import hash_password, new_token

BENCH_EMAIL = "bench@hellowork.example.jp"
BENCH_SEEKER_EMAIL = "seeker0@bench.example.jp"
BENCH_PASSWORD = "Bench#2026pw"  # noqa: S105 - the published password of benchmark data

CHUNK_ROWS = 20_000
"""Rows per `executemany`: bounded memory, few round trips."""


@dataclass(frozen=True)
class Sizes:
    establishments: int
    postings: int
    applications: int
    messages: int


PRESETS: dict[str, Sizes] = {
    "tiny": Sizes(establishments=3, postings=30, applications=120, messages=300),
    "small": Sizes(establishments=100, postings=10_000, applications=10_000, messages=10_000),
    "medium": Sizes(establishments=1000, postings=20_000, applications=200_000, messages=500_000),
    "large": Sizes(
        establishments=1000, postings=1_000_000, applications=1_000_000, messages=1_000_000
    ),
}
"""`small` and `large` are the 10k- and 1M-row ends of the scale comparison; `medium` is the
size of the main measurements."""

MESSAGES_PER_THREAD = 100
SEEKERS_PER_APPLICATION = 0.25
ESTABLISHMENTS_PER_OFFICE = 50

_CATEGORIES = (
    PostingCategory.GENERAL,
    PostingCategory.GENERAL,
    PostingCategory.GENERAL,
    PostingCategory.GRADUATE,
    PostingCategory.DISABILITY,
    PostingCategory.SEASONAL,
)
_JOBS = (
    ("介護職員", "特別養護老人ホームでの入居者の生活支援、食事・入浴・排せつの介助"),
    ("一般事務", "受発注データの入力、電話応対、来客対応、書類の整理"),
    ("製造スタッフ", "自動車部品の組立、検査、梱包。未経験者も丁寧に指導します"),
    ("調理補助", "病院給食の調理補助、盛り付け、食器洗浄"),
    ("配送ドライバー", "ルート配送（2トン車）、積み下ろし、伝票管理"),
    ("保育士", "0〜5歳児の保育、保護者対応、行事の企画"),
)
_LICENSES = (
    "介護職員初任者研修",
    "",
    "フォークリフト運転技能講習",
    "",
    "準中型自動車免許",
    "保育士",
)
"""必要な免許・資格 of each of `_JOBS`."""
_STATIONS = (
    "JR中央線 水道橋駅 徒歩5分",
    "都営三田線 春日駅 徒歩3分",
    "東京メトロ丸ノ内線 後楽園駅 徒歩8分",
)
_PREFECTURES = ("東京都", "神奈川県", "埼玉県", "千葉県", "大阪府", "愛知県", "福岡県")
_MESSAGE_BODIES = (
    "面接の日程についてご相談させてください。",
    "書類を拝見しました。来週の面接にお越しいただけますか。",
    "ありがとうございます。火曜日の午後でお願いいたします。",
    "当日は履歴書と職務経歴書をお持ちください。",
    "承知しました。よろしくお願いいたします。",
)
_STATUS_PATHS: tuple[tuple[ApplicationStatus, ...], ...] = (
    (ApplicationStatus.APPLIED,),
    (ApplicationStatus.APPLIED, ApplicationStatus.SCREENING),
    (ApplicationStatus.APPLIED, ApplicationStatus.SCREENING, ApplicationStatus.INTERVIEW),
    (
        ApplicationStatus.APPLIED,
        ApplicationStatus.SCREENING,
        ApplicationStatus.INTERVIEW,
        ApplicationStatus.HIRED,
    ),
    (ApplicationStatus.APPLIED, ApplicationStatus.SCREENING, ApplicationStatus.REJECTED),
    (ApplicationStatus.APPLIED, ApplicationStatus.WITHDRAWN),
)


@dataclass(frozen=True)
class Generated:
    """What was written: row counts per table, and the known logins."""

    counts: dict[str, int]
    employer_email: str
    seeker_email: str
    bench_thread_id: int
    """The thread of the known employer with the known seeker (the longest of its threads)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Writer:
    """Inserts rows of one model with explicit ids: chunked `executemany` on SQLite, one binary
    `COPY` per table on PostgreSQL (the medium preset: 46 s with `executemany`, 33 s with
    `COPY`, 22 s with the foreign keys dropped meanwhile, `VACUUM ANALYZE` included)."""

    def __init__(self, connection: BaseDBAsyncClient, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres
        self.counts: dict[str, int] = {}

    async def insert(
        self, model: type[Model], rows: Iterable[dict[str, Any]], *, chunk: int = CHUNK_ROWS
    ) -> None:
        meta = model._meta
        fields = [
            name
            for name in meta.db_fields
            if not isinstance(meta.fields_map[name], RelationalField)
        ]
        defaults = {name: _default(meta.fields_map[name]) for name in fields}
        names = [meta.fields_db_projection[name] for name in fields]
        written = 0

        def values(row: dict[str, Any]) -> list[Any]:
            return [_db_value(row[name] if name in row else defaults[name]()) for name in fields]

        if self.postgres:

            def records() -> Iterator[list[Any]]:
                nonlocal written
                for row in rows:
                    written += 1
                    yield values(row)

            # COPY encodes each value by the column's type, as the driver's parameters are.
            async with self.connection.acquire_connection() as driver:
                await driver.copy_records_to_table(meta.db_table, records=records(), columns=names)
        else:
            columns = ", ".join(f'"{name}"' for name in names)
            marks = ", ".join("?" * len(fields))
            sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({marks})'  # noqa: S608
            batch: list[list[Any]] = []
            for row in rows:
                batch.append(values(row))
                if len(batch) >= chunk:
                    await self.connection.execute_many(sql, batch)
                    written += len(batch)
                    batch = []
            if batch:
                await self.connection.execute_many(sql, batch)
                written += len(batch)
        self.counts[meta.db_table] = self.counts.get(meta.db_table, 0) + written


def _default(field: Any) -> Callable[[], Any]:
    if callable(field.default):
        return field.default  # type: ignore[no-any-return]
    if field.default is not None or field.null:
        value = field.default
        return lambda: value
    name = field.model_field_name

    def missing() -> Any:
        raise ValueError(f"bench data gives no value for {name}")

    return missing


def _db_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def generate(rt: Runtime, sizes: Sizes, *, seed: int = 1) -> Generated:
    """Write the benchmark data into an empty, migrated database, in one transaction."""
    if min(sizes.establishments, sizes.postings) < 1:
        raise ValueError("at least one establishment and one posting")
    if await models.User.filter(email=BENCH_EMAIL).exists():
        raise ValueError("the database already holds benchmark data; use an empty one")
    rnd = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    now = rt.clock.now().replace(microsecond=0)
    today = rt.clock.today()
    password_hash = await hash_password(BENCH_PASSWORD, rt.settings.bcrypt_rounds)
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"

    e_count = sizes.establishments
    office_count = max(1, -(-e_count // ESTABLISHMENTS_PER_OFFICE))
    seeker_count = max(10, int(sizes.applications * SEEKERS_PER_APPLICATION))
    seeker_base = e_count + 1  # user ids: establishment e's employer is e + 1, then seekers

    postings = _plan_postings(sizes, rnd, today, now)
    eligible = [j for j, p in enumerate(postings) if p.status in _OPEN_TO_APPLICANTS]
    if not eligible and sizes.applications:
        raise ValueError("too few postings for applications")
    applications = _plan_applications(sizes.applications, eligible, seeker_count, rnd)
    thread_pairs = _plan_threads(sizes.messages, applications, postings, e_count)

    async with in_transaction() as tx:
        dropped = await _drop_foreign_keys(tx) if postgres else []
        writer = _Writer(tx, postgres)
        await writer.insert(
            models.Office,
            (
                {
                    "id": o + 1,
                    "code": f"{20000 + o:05d}",
                    "name": f"ベンチ{o + 1}公共職業安定所",
                    "created_at": now,
                }
                for o in range(office_count)
            ),
        )
        await writer.insert(
            models.PostingNumberSerial,
            (
                {"id": o + 1, "office_id": o + 1, "last_serial": sizes.postings}
                for o in range(office_count)
            ),
        )
        await writer.insert(
            models.Establishment,
            (
                {
                    "id": e + 1,
                    "office_id": e % office_count + 1,
                    "number": f"{2000 + e // 1_000_000:04d}-{e % 1_000_000:06d}-{e % 10}",
                    "name": f"株式会社ベンチ{e + 1}" if e else "株式会社ハローワークベンチ",
                    "name_kana": f"カブシキガイシャベンチ{e + 1}",
                    "phone_number": f"03-{1000 + e % 9000:04d}-{e % 10000:04d}",
                    "postal_code": "112-0004",
                    "address": f"{_PREFECTURES[e % len(_PREFECTURES)]}文京区後楽1-{e % 50 + 1}",
                    "business_content": "介護サービス、福祉用具の貸与",
                    "employee_count": 20 + e % 500,
                    "created_at": now - dt.timedelta(days=400),
                }
                for e in range(e_count)
            ),
        )
        await writer.insert(
            models.User,
            _users(e_count, seeker_count, password_hash, now),
        )
        await writer.insert(
            models.SeekerProfile,
            (
                {
                    "id": s + 1,
                    "user_id": seeker_base + s,
                    "display_name": f"求職者{s}",
                    "phone_number": f"090-{s // 10000 % 10000:04d}-{s % 10000:04d}",
                    "desired_job": _JOBS[s % len(_JOBS)][0],
                    "desired_prefecture": _PREFECTURES[s % len(_PREFECTURES)],
                    "experience": "介護施設で3年間勤務",
                    "licenses": "普通自動車第一種運転免許",
                    "published": s % 3 != 0,
                    "updated_at": now - dt.timedelta(days=s % 90),
                }
                for s in range(seeker_count)
            ),
        )
        await writer.insert(
            models.Posting,
            _posting_rows(postings, e_count, office_count, graduating_class(today)),
        )
        await writer.insert(models.PostingEvent, _posting_event_rows(postings, e_count))
        await writer.insert(
            models.Application, _application_rows(applications, e_count, seeker_base, now)
        )
        await writer.insert(
            models.ApplicationEvent,
            _application_event_rows(applications, seeker_base, e_count, now),
        )
        await writer.insert(
            models.MessageThread,
            (
                {
                    "id": t + 1,
                    "establishment_id": e + 1,
                    "seeker_id": seeker_base + s,
                    "created_at": now - dt.timedelta(days=60),
                    "last_message_at": _last_message_at(t, len(thread_pairs), sizes.messages, now),
                }
                for t, (e, s) in enumerate(thread_pairs)
            ),
        )
        await writer.insert(
            models.Message, _message_rows(sizes.messages, thread_pairs, seeker_base, now)
        )
        if postgres:
            await _add_foreign_keys(tx, dropped)
            await _reset_sequences(tx, writer.counts)
    if postgres:
        # Fresh rows have no statistics and no visibility map: the planner would guess and
        # index-only scans visit the heap until autovacuum comes by, mid-benchmark.
        await connection.execute_script("VACUUM ANALYZE")

    bench_threads = [t for t, (e, _) in enumerate(thread_pairs) if e == 0]
    bench_seeker = thread_pairs[bench_threads[0]][1] if bench_threads else 0
    return Generated(
        counts=writer.counts,
        employer_email=BENCH_EMAIL,
        seeker_email=f"seeker{bench_seeker}@bench.example.jp",
        bench_thread_id=bench_threads[0] + 1 if bench_threads else 0,
    )


# --- Planning: which rows exist, decided before anything is written -------------------------

_OPEN_TO_APPLICANTS = (PostingStatus.ACTIVE, PostingStatus.INVALID)


@dataclass(frozen=True)
class _PlannedPosting:
    status: PostingStatus
    category: PostingCategory
    created_at: dt.datetime
    referral_deadline: dt.date | None
    number_to_hire: int


def _plan_postings(
    sizes: Sizes, rnd: random.Random, today: dt.date, now: dt.datetime
) -> list[_PlannedPosting]:
    """Posting j belongs to establishment j % E; six in ten active, two invalid, the rest in
    review or drafts."""
    planned = []
    for j in range(sizes.postings):
        kind = (j // sizes.establishments) % 10
        if kind < 6:
            status = PostingStatus.ACTIVE
            deadline: dt.date | None = today + dt.timedelta(days=3 + rnd.randrange(80))
        elif kind < 8:
            status = PostingStatus.INVALID
            deadline = today - dt.timedelta(days=1 + rnd.randrange(200))
        elif kind == 8:
            status, deadline = PostingStatus.SUBMITTED, None
        else:
            status, deadline = PostingStatus.DRAFT, None
        created = now - dt.timedelta(seconds=(sizes.postings - j) * 60)
        planned.append(
            _PlannedPosting(
                status=status,
                category=_CATEGORIES[j % len(_CATEGORIES)],
                created_at=created,
                referral_deadline=deadline,
                number_to_hire=1 + rnd.randrange(5),
            )
        )
    return planned


def _plan_applications(
    count: int, eligible: list[int], seeker_count: int, rnd: random.Random
) -> list[tuple[int, int, tuple[ApplicationStatus, ...]]]:
    """(posting index, seeker index, status path) per application; one per posting and seeker:
    the k-th round over the postings gives posting p the seeker (offset_p + k) mod S."""
    if count > len(eligible) * seeker_count:
        raise ValueError("more applications than postings × seekers")
    offsets = [rnd.randrange(seeker_count) for _ in eligible]
    planned = []
    for i in range(count):
        slot, round_ = i % len(eligible), i // len(eligible)
        seeker = (offsets[slot] + round_) % seeker_count
        path = _STATUS_PATHS[rnd.randrange(len(_STATUS_PATHS))] if i % 3 else _STATUS_PATHS[0]
        planned.append((eligible[slot], seeker, path))
    return planned


def _plan_threads(
    message_count: int,
    applications: list[tuple[int, int, tuple[ApplicationStatus, ...]]],
    postings: list[_PlannedPosting],
    establishment_count: int,
) -> list[tuple[int, int]]:
    """(establishment index, seeker index) per thread: the pairs of the first applications."""
    wanted = min(max(1, message_count // MESSAGES_PER_THREAD), len(applications))
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for posting, seeker, _ in applications:
        pair = (posting % establishment_count, seeker)
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
            if len(pairs) == wanted:
                break
    if message_count and not pairs:
        raise ValueError("messages need applications")
    return pairs


# --- Rows --------------------------------------------------------------------------------------


def _users(
    establishment_count: int, seeker_count: int, password_hash: str, now: dt.datetime
) -> Iterator[dict[str, Any]]:
    for e in range(establishment_count):
        yield {
            "id": e + 1,
            "portal": Portal.EMPLOYER,
            "email": BENCH_EMAIL if e == 0 else f"employer{e}@bench.example.jp",
            "password_hash": password_hash,
            "establishment_id": e + 1,
            "created_at": now - dt.timedelta(days=300),
        }
    for s in range(seeker_count):
        yield {
            "id": establishment_count + 1 + s,
            "portal": Portal.SEEKER,
            "email": f"seeker{s}@bench.example.jp",
            "password_hash": password_hash,
            "created_at": now - dt.timedelta(days=200),
        }


def _posting_rows(
    postings: list[_PlannedPosting], establishment_count: int, office_count: int, class_of: int
) -> Iterator[dict[str, Any]]:
    for j, p in enumerate(postings):
        e = j % establishment_count
        numbered = p.status in _OPEN_TO_APPLICANTS
        yield {
            "id": j + 1,
            "establishment_id": e + 1,
            "status": p.status,
            **posting_form(j, e, p.category, p.number_to_hire, class_of).stored(),
            "posting_number": (f"{20000 + e % office_count:05d}-{j + 1:08d}" if numbered else None),
            "referral_deadline": p.referral_deadline,
            "submitted_at": p.created_at if p.status != PostingStatus.DRAFT else None,
            "accepted_at": p.created_at if numbered else None,
            "invalidated_at": p.created_at if p.status == PostingStatus.INVALID else None,
            "created_at": p.created_at,
            "updated_at": p.created_at,
        }


_YOUTH_EMPLOYMENT_INFO = form.YouthEmploymentInfo(
    graduate_hires_last_year=3,
    graduate_hires_two_years_ago=2,
    graduate_hires_three_years_ago=4,
    leavers_last_year=0,
    leavers_two_years_ago=1,
    leavers_three_years_ago=0,
    training="新入社員研修 (2週間)、OJT (3か月)",
    average_monthly_overtime_hours=8,
    average_paid_leave_days_taken=11,
)
_GRADUATE_AGE_LIMIT = form.AgeLimit(
    upper=35,
    exception_reason=form.AgeLimitReason.ITEM_3_I,
    reason_text="長期勤続によるキャリア形成を図るため、若年者等を期間の定めのない労働契約で募集",
)
_SEASONAL_RENEWAL = form.ContractRenewal(
    possibility=form.RenewalPossibility.CONDITIONAL,
    conditions="勤務成績、業務量により判断",
    has_upper_limit=True,
    upper_limit="通算契約期間5年まで",
)
_MONTHLY_ALLOWANCES = (
    form.FixedAllowance(name="資格手当", amount=10_000),
    form.FixedAllowance(name="住宅手当", amount=15_000),
)
_FULL_TIME_INSURANCES = (
    Insurance.EMPLOYMENT,
    Insurance.WORKERS_ACCIDENT,
    Insurance.HEALTH,
    Insurance.PENSION,
)
_PART_TIME_INSURANCES = (Insurance.EMPLOYMENT, Insurance.WORKERS_ACCIDENT)


def posting_form(
    j: int, e: int, category: PostingCategory, number_to_hire: int, class_of: int
) -> PostingContent:
    """The form (求人票) of posting j of establishment e, complete and passing the check with
    no warning, as a submitted posting is: full-time and monthly, or (one in four) part-time
    and hourly, 4 days of 5 hours a week; 季節 postings for a fixed term; 大卒等 ones full-time
    for the graduates of March `class_of`, with their 青少年雇用情報 and a 3号イ age limit."""
    graduate = category is PostingCategory.GRADUATE
    seasonal = category is PostingCategory.SEASONAL
    hourly = j % 4 == 3 and not graduate
    title, description = _JOBS[j % len(_JOBS)]
    employees = 20 + e % 500
    overtime = j % 2 == 0
    if hourly:
        employment_type = EmploymentType.PART_TIMER
    elif seasonal:
        employment_type = EmploymentType.NON_REGULAR
    else:
        employment_type = EmploymentType.REGULAR
    return PostingContent(
        category=category,
        graduate_class_of=class_of if graduate else None,
        work_style=WorkStyle.PART_TIME if hourly else WorkStyle.FULL_TIME,
        employment_type=employment_type,
        contracting_work=False,
        trial_employment=False,
        publication_range=PublicationRange.WITH_NAME,
        accepts_online_applications=j % 5 != 0,
        business_content="",
        company_features="創業1985年。地域に根ざし、未経験から資格取得まで支援しています。",
        workplace_employees=employees,
        workplace_female_employees=employees * 6 // 10,
        workplace_part_time_employees=employees // 5,
        has_work_rules=True,
        childcare_leave_taken=j % 3 == 0,
        youth_employment_info=_YOUTH_EMPLOYMENT_INFO if graduate else None,
        job_title=title,
        job_description=description,
        workplace_postal_code="112-0004",
        workplace_prefecture=_PREFECTURES[e % len(_PREFECTURES)],
        workplace_address=f"文京区後楽1-{j % 50 + 1}",
        nearest_station=_STATIONS[j % len(_STATIONS)],
        passive_smoking_measure=form.PassiveSmokingMeasure(
            measure=form.SmokingMeasure.NO_SMOKING_INDOORS, smoking_allowed=False
        ),
        employment_period=EmploymentPeriod.FIXED_TERM if seasonal else EmploymentPeriod.INDEFINITE,
        employment_period_detail="2027年4月1日〜2027年9月30日 (6か月)" if seasonal else "",
        contract_renewal=_SEASONAL_RENEWAL if seasonal else None,
        trial_period=form.TrialPeriod(has_trial_period=True, months=3, conditions_differ=False),
        number_to_hire=number_to_hire,
        required_experience="",
        required_licenses=_LICENSES[j % len(_JOBS)],
        education_requirement=form.EducationRequirement(
            level=form.EducationLevel.UNIVERSITY if graduate else form.EducationLevel.ANY,
            mandatory=graduate,
        ),
        age_limit=_GRADUATE_AGE_LIMIT if graduate else None,
        workplace_change_scope="変更なし",
        job_change_scope="会社の定める業務",
        wage_form=WageForm.HOURLY if hourly else WageForm.MONTHLY,
        base_wage_min=1300 if hourly else 220_000,
        base_wage_max=1600 if hourly else 280_000,
        fixed_allowances=[] if hourly else list(_MONTHLY_ALLOWANCES),
        fixed_overtime_pay=None,
        allowances="" if hourly else "家族手当 (配偶者5,000円、子1人につき3,000円)",
        commute_allowance=form.CommuteAllowance(
            payment=form.CommutePay.CAPPED, monthly_amount=30_000
        ),
        pay_day="毎月25日",
        pay_raise=form.PayRaise(has_raise=not hourly, last_year="" if hourly else "月額3,000円"),
        bonus=form.Bonus(
            has_bonus=not hourly,
            times_last_year=None if hourly else 2,
            last_year="" if hourly else "計4.00か月分",
        ),
        working_hours="9:00〜14:30" if hourly else "8:30〜17:30",
        daily_working_minutes=300 if hourly else 480,
        weekly_working_days=4 if hourly else 5,
        variable_working_hours=form.VariableHours.NONE,
        break_minutes=30 if hourly else 60,
        has_overtime=overtime,
        overtime=form.Overtime(monthly_average_hours=10, special_clause=False)
        if overtime
        else None,
        overtime_detail="",
        # 5 days a week leave 105 to 130 holidays a year, 4 days 133 to 182.
        annual_holidays=(150 if hourly else 105) + j % 20,
        weekly_two_days_off=WeeklyTwoDaysOff.EVERY_WEEK,
        holidays_detail="土日祝、年末年始 (12/29〜1/3)",
        annual_paid_leave_days=7 if hourly else 10,
        insurances=list(_PART_TIME_INSURANCES if hourly else _FULL_TIME_INSURANCES),
        insurance="",
        retirement_allowance=not hourly,
        retirement_age=None if hourly else 60,
        reemployment=None if hourly else form.ContinuedEmployment(available=True, upper_age=65),
        extended_employment=None if hourly else form.ContinuedEmployment(available=False),
        special_notes="",
        pr="未経験の方も歓迎します。先輩職員が丁寧に指導します。",
        selection_method="書類選考、面接",
        documents="履歴書、職務経歴書",
        result_notice_days=7,
        result_notice_method=form.ResultNotice.MAIL,
        contact="人事課 03-3812-0001",
    )


def _posting_event_rows(
    postings: list[_PlannedPosting], establishment_count: int
) -> Iterator[dict[str, Any]]:
    event_id = 0
    for j, p in enumerate(postings):
        actor = j % establishment_count + 1
        steps: list[tuple[PostingAction, PostingStatus | None, PostingStatus, int | None]] = [
            (PostingAction.CREATED, None, PostingStatus.DRAFT, actor)
        ]
        if p.status != PostingStatus.DRAFT:
            steps.append(
                (PostingAction.SUBMITTED, PostingStatus.DRAFT, PostingStatus.SUBMITTED, actor)
            )
        if p.status in _OPEN_TO_APPLICANTS:
            steps.append(
                (PostingAction.ACCEPTED, PostingStatus.SUBMITTED, PostingStatus.ACTIVE, None)
            )
        if p.status == PostingStatus.INVALID:
            steps.append((PostingAction.EXPIRED, PostingStatus.ACTIVE, PostingStatus.INVALID, None))
        for action, from_status, to_status, actor_id in steps:
            event_id += 1
            yield {
                "id": event_id,
                "posting_id": j + 1,
                "action": action,
                "actor_id": actor_id,
                "from_status": from_status,
                "to_status": to_status,
                "created_at": p.created_at,
            }


def _application_rows(
    applications: list[tuple[int, int, tuple[ApplicationStatus, ...]]],
    establishment_count: int,
    seeker_base: int,
    now: dt.datetime,
) -> Iterator[dict[str, Any]]:
    for i, (posting, seeker, path) in enumerate(applications):
        created = _application_time(i, len(applications), now)
        yield {
            "id": i + 1,
            "posting_id": posting + 1,
            "establishment_id": posting % establishment_count + 1,  # as in `_posting_rows`
            "seeker_id": seeker_base + seeker,
            "source": ApplicationSource.ONLINE if i % 4 else ApplicationSource.REFERRAL,
            "status": path[-1],
            "referral_letter_number": None if i % 4 else f"R{i:010d}",
            "hire_date": (now + dt.timedelta(days=30)).date()
            if path[-1] == ApplicationStatus.HIRED
            else None,
            "created_at": created,
            "updated_at": created,
        }


def _application_time(i: int, count: int, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=(count - i) * 20)


def _application_event_rows(
    applications: list[tuple[int, int, tuple[ApplicationStatus, ...]]],
    seeker_base: int,
    establishment_count: int,
    now: dt.datetime,
) -> Iterator[dict[str, Any]]:
    event_id = 0
    for i, (posting, seeker, path) in enumerate(applications):
        previous: ApplicationStatus | None = None
        created = _application_time(i, len(applications), now)
        for step, status in enumerate(path):
            event_id += 1
            by_seeker = status in (ApplicationStatus.APPLIED, ApplicationStatus.WITHDRAWN)
            yield {
                "id": event_id,
                "application_id": i + 1,
                "actor_id": seeker_base + seeker
                if by_seeker
                else posting % establishment_count + 1,
                "from_status": previous,
                "to_status": status,
                "reason": "" if by_seeker else "選考結果による",
                "at": created + dt.timedelta(hours=step),
            }
            previous = status


def _message_time(m: int, count: int, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=(count - m) * 5)


def _last_message_at(
    thread: int, thread_count: int, message_count: int, now: dt.datetime
) -> dt.datetime | None:
    if thread >= message_count:
        return None
    last = thread + thread_count * ((message_count - 1 - thread) // thread_count)
    return _message_time(last, message_count, now)


def _message_rows(
    count: int, threads: list[tuple[int, int]], seeker_base: int, now: dt.datetime
) -> Iterator[dict[str, Any]]:
    """Message m goes to thread m mod T; seekers write first, then the sides alternate; the
    last round is unread."""
    if not threads:
        return
    unread_from = count - len(threads)
    for m in range(count):
        t = m % len(threads)
        e, s = threads[t]
        from_seeker = (m // len(threads)) % 2 == 0
        created = _message_time(m, count, now)
        yield {
            "id": m + 1,
            "thread_id": t + 1,
            "establishment_id": e + 1,
            "sender": MessageSender.SEEKER if from_seeker else MessageSender.EMPLOYER,
            "sender_user_id": seeker_base + s if from_seeker else e + 1,
            "body": _MESSAGE_BODIES[m % len(_MESSAGE_BODIES)],
            "created_at": created,
            "read_at": None if m >= unread_from else created + dt.timedelta(minutes=30),
        }


async def _drop_foreign_keys(connection: BaseDBAsyncClient) -> list[dict[str, str]]:
    """PostgreSQL: drop the foreign keys of the schema, returned for `_add_foreign_keys`. A
    `COPY` checks each row's keys one by one (half the time of the whole load); adding the
    constraints back checks all rows at once, in the same transaction."""
    found = await connection.execute_query_dict(
        "SELECT conrelid::regclass::text AS table_name, conname AS name, "
        "pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY oid"
    )
    for key in found:
        await connection.execute_script(
            f'ALTER TABLE {key["table_name"]} DROP CONSTRAINT "{key["name"]}"'
        )
    return found


async def _add_foreign_keys(connection: BaseDBAsyncClient, keys: list[dict[str, str]]) -> None:
    for key in keys:
        await connection.execute_script(
            f'ALTER TABLE {key["table_name"]} ADD CONSTRAINT "{key["name"]}" {key["definition"]}'
        )


async def _reset_sequences(connection: BaseDBAsyncClient, counts: dict[str, int]) -> None:
    """PostgreSQL: explicit ids leave the id sequences behind; move them past the rows."""
    for table in counts:
        await connection.execute_query(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


# --- Sessions for the load generator ----------------------------------------------------------


async def open_session(rt: Runtime, email: str = BENCH_EMAIL) -> str:
    """A live session of the login `email`, as `loginVerifyOtp` would open; the token."""
    user = await models.User.get(email=email, is_active=True)
    token = new_token()
    now = rt.clock.now()
    await models.Session.create(
        user_id=user.id,
        token_hash=rt.secret_hash(SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=rt.settings.session_ttl_minutes),
        last_seen_at=now,
    )
    return token


async def remember_device(rt: Runtime, email: str = BENCH_EMAIL) -> str:
    """A remembered device of the login `email`, so `login` opens a session without an OTP."""
    user = await models.User.get(email=email, is_active=True)
    token = new_token()
    now = rt.clock.now()
    await models.RememberedDevice.create(
        user_id=user.id,
        token_hash=rt.secret_hash(DEVICE_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(days=rt.settings.remembered_device_days),
    )
    return token


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.data`: fill the empty, migrated database of the environment's
    settings (`DATABASE_URL`) and print what was made as one JSON line."""
    import argparse
    import asyncio
    import dataclasses
    import logging

    from app.db import close_db, init_db
    from app.runtime import Runtime
    from app.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.data", description=main.__doc__)
    parser.add_argument("--preset", choices=list(PRESETS), default="small")
    for size in ("establishments", "postings", "applications", "messages"):
        parser.add_argument(f"--{size}", type=int, help="overrides the preset")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    sizes = dataclasses.replace(
        PRESETS[args.preset],
        **{
            name: value
            for name in ("establishments", "postings", "applications", "messages")
            if (value := getattr(args, name)) is not None
        },
    )

    async def run() -> None:
        settings = Settings.from_env()
        await init_db(settings)
        try:
            generated = await generate(Runtime.from_settings(settings), sizes, seed=args.seed)
        finally:
            await close_db()
        print(json.dumps(generated.as_dict(), ensure_ascii=False))

    asyncio.run(run())


if __name__ == "__main__":
    main()
