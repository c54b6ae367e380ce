"""Job postings (求人): the form, staff review, validity, renewal, reuse and the public search."""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Generic, Self, TypeVar

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)
from strawberry import relay
from strawberry.utils.str_converters import to_camel_case

import app.schema.describe as describe
from app import models
from app.errors import ErrorCode, UserErrors, user_error
from app.models import posting_form as form
from app.models import postings as enums
from app.models.posting_form import ITEM_BY_NAME, ITEMS, Item, PostingForm
from app.resolvers import posting_check, postings, validation
from app.resolvers.paging import Page, Window
from app.schema.accounts import Portal
from app.schema.context import Info
from app.schema.dataloaders import PostingHistoryRow
from app.schema.errors import ERRORS, UserError, graphql_path, run_change, user_errors
from app.schema.establishments import Establishment, PostingCategory, Yen
from app.schema.images import PostingImage, posting_images
from app.schema.nodes import decode_id, visible_nodes, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    encode_cursor,
    id_window,
)
from app.schema.permissions import IsAuthenticated, IsEmployer, IsStaff

describe.enum(
    enums.PostingStatus,
    description=(
        "求人の状態 (posting status): DRAFT 一時保存 → SUBMITTED 仮登録 → ACTIVE 有効中 (受理), "
        "or RETURNED 修正依頼; INVALID 無効 at the end."
    ),
)
PostingStatus = enums.PostingStatus
describe.enum(
    enums.WorkStyle,
    description=(
        "就業形態 (work style): フルタイム / パート, decided by the working hours, not by the "
        "contract."
    ),
)
WorkStyle = enums.WorkStyle
describe.enum(
    enums.EmploymentType,
    description=(
        "雇用形態 (employment type): 正社員, 正社員以外, 有期雇用派遣, 無期雇用派遣, パート労働者 "
        "(DISPATCH: an earlier value, to be chosen again as fixed-term or indefinite)."
    ),
)
EmploymentType = enums.EmploymentType
describe.enum(
    enums.EmploymentPeriod, description="雇用期間 (employment period): 定めなし / 定めあり."
)
EmploymentPeriod = enums.EmploymentPeriod
describe.enum(enums.WageForm, description="賃金形態 (wage form): 月給, 日給, 時給.")
WageForm = enums.WageForm
describe.enum(
    enums.Insurance, description="加入保険等 (insurance): 雇用, 労災, 公災, 健康, 厚生, 財形."
)
Insurance = enums.Insurance
describe.enum(
    enums.WeeklyTwoDaysOff,
    description="週休二日制 (two days off a week): 毎週, その他, なし.",
)
WeeklyTwoDaysOff = enums.WeeklyTwoDaysOff
describe.enum(
    enums.PublicationRange,
    description=(
        "公開範囲 (publication range), Hello Work's four options: 1 WITH_NAME, 2 WITHOUT_NAME, "
        "3 NAME_TO_SEEKERS_ONLY, 4 NOT_PUBLISHED. Online applications only with 1 or 2."
    ),
)
PublicationRange = enums.PublicationRange
describe.enum(
    enums.AgeLimitReason,
    description=(
        "年齢制限の例外事由 (why an age limit is allowed): 1号, 2号, 3号イ・ロ・ハ・ニ of "
        "労働施策総合推進法施行規則 第1条の3第1項."
    ),
)
AgeLimitReason = enums.AgeLimitReason
describe.enum(
    form.SmokingMeasure,
    description="受動喫煙対策 (passive smoking measure): the measure taken at the workplace.",
)
SmokingMeasure = form.SmokingMeasure
describe.enum(
    form.RenewalPossibility,
    description="契約更新の可能性 (whether a fixed-term contract is renewed).",
)
RenewalPossibility = form.RenewalPossibility
describe.enum(form.EducationLevel, description="学歴 (education): the least schooling asked for.")
EducationLevel = form.EducationLevel
describe.enum(form.CommutePay, description="通勤手当 (commuting allowance): how it is paid.")
CommutePay = form.CommutePay
describe.enum(
    form.VariableHours, description="変形労働時間制 (variable working hours): over what period."
)
VariableHours = form.VariableHours
describe.enum(
    form.ResultNotice, description="選考結果の通知方法 (how the selection result is told)."
)
ResultNotice = form.ResultNotice
describe.enum(
    form.Section,
    name="PostingFormSection",
    description="求人票の区分 (form section): the eight sections of Hello Work's form, in order.",
)
PostingFormSection = form.Section
describe.enum(
    enums.PostingAction,
    description="履歴の種類 (history action): what an entry of a posting's history records.",
)
PostingAction = enums.PostingAction
describe.enum(
    enums.CounterRegistrationReason,
    description=(
        "本登録が必要な理由 (why counter registration is needed): why a submission (仮登録) "
        "needs the employer at the counter within 14 days."
    ),
)
CounterRegistrationReason = enums.CounterRegistrationReason
describe.enum(
    posting_check.WarningCode,
    name="PostingWarningCode",
    description=(
        "警告コード (warning code): stable codes of the posting check's warnings (orange); list "
        "them in `acknowledgedWarnings` to submit despite them."
    ),
)
PostingWarningCode = posting_check.WarningCode


T = TypeVar("T")


# --- The groups of the form, as GraphQL types ---------------------------------------------


def _group_types(group: type) -> tuple[type, type]:
    """A group item's output and input types, with a field per part, named after its
    dataclass (`AgeLimit`, `AgeLimitInput`)."""
    group_parts = form.parts(group)
    annotations = {part.name: part.value_type for part in group_parts}
    output_namespace: dict[str, Any] = {
        "__annotations__": dict(annotations),
        "__doc__": group.__doc__,
        **{part.name: strawberry.field(description=_described(part)) for part in group_parts},
    }
    output = strawberry.type(type(group.__name__, (), output_namespace), description=group.__doc__)
    input_namespace: dict[str, Any] = {
        "__annotations__": dict(annotations),
        **{
            part.name: strawberry.field(
                description=_hinted(part), default_factory=part.default_factory
            )
            for part in group_parts
        },
    }
    given = strawberry.input(
        type(group.__name__ + "Input", (), input_namespace), description=group.__doc__
    )
    return output, given


def _described(item: Item[Any]) -> str:
    """An output's description: the item's own; for an item the form leaves undescribed (its
    column keeps no comment), its label and its name in English words."""
    if item.description is None:
        return f"{item.label} ({item.name.replace('_', ' ')})."
    return f"{item.description}."


def _hinted(item: Item[Any]) -> str:
    """An input's description: the item's, whether the check requires it, the limits the
    service checks (from the item's declaration) and what to enter."""
    hint = item.hint or ""
    said = [_described(item), _required(item)]
    match item:
        case form.Text() if f"{item.max_length} characters" not in hint:
            said.append(f"Up to {item.max_length} characters, trimmed.")
        case form.Integer() if f"{item.low} to {item.high}" not in hint:
            said.append(f"{item.low} to {item.high} ({item.unit}).")
        case form.Groups() if f"Up to {item.max_count}" not in hint:
            said.append(f"Up to {item.max_count}.")
        case form.Prefecture():
            said.append("One of the 47 prefectures, in Japanese.")
    return " ".join([*said, hint] if hint else said)


def _required(item: Item[Any]) -> str:
    if item.section is None:
        return "Required in the group." if item.required else "Optional in the group."
    if item.required:
        return "Required to submit."
    if item.required_when:
        return f"Required to submit: {item.required_when}."
    return "Optional."


_GROUP_TYPES: dict[type, tuple[type, type]] = {}
for _item in ITEMS:
    if isinstance(_item, form.Group | form.Groups) and _item.group not in _GROUP_TYPES:
        _GROUP_TYPES[_item.group] = _group_types(_item.group)


def _output_type(item: Item[Any]) -> Any:
    if isinstance(item, form.Group):
        return _GROUP_TYPES[item.group][0] | None
    if isinstance(item, form.Groups):
        return list[_GROUP_TYPES[item.group][0]]  # type: ignore[misc]
    return item.value_type


def _input_type(item: Item[Any]) -> Any:
    if isinstance(item, form.Group):
        return _GROUP_TYPES[item.group][1] | None
    if isinstance(item, form.Groups):
        return list[_GROUP_TYPES[item.group][1]]  # type: ignore[misc]
    return item.value_type


def _from_input(item: Item[Any], value: Any) -> Any:
    """A value sent as GraphQL input, as the form holds it (a group as its dataclass)."""
    if isinstance(item, form.Group):
        return None if value is None else _group_from_input(item.group, value)
    if isinstance(item, form.Groups):
        return [_group_from_input(item.group, entry) for entry in value]
    return value


def _group_from_input(group: type, value: object) -> object:
    return group(**{part.name: getattr(value, part.name) for part in form.parts(group)})


def _with_items(
    items: Iterable[Item[Any]],
    describe: Callable[[Item[Any]], str | None],
    *,
    given: bool,
) -> Callable[[type[T]], type[T]]:
    """Give the class a field for each of the form's items, after its own, for Strawberry.

    Each has the item's type and `describe`'s description. On an input type (`given`), an
    item that need not be sent has its default, which the client may leave out; an output
    type has no defaults, so its values can be read lazily (`PostingContent`).
    """

    def add(cls: type[T]) -> type[T]:
        annotations = inspect.get_annotations(cls)
        for item in items:
            annotations[item.name] = _input_type(item) if given else _output_type(item)
            if given and item.default_factory is not None:
                field = strawberry.field(
                    description=describe(item), default_factory=item.default_factory
                )
            else:
                field = strawberry.field(description=describe(item))
            setattr(cls, item.name, field)
        cls.__annotations__ = annotations
        return cls

    return add


@strawberry.type(
    description=(
        "The posting form (求人票), section by section in Hello Work's order; `postingForm` "
        "lists the sections and their items."
    )
)
@_with_items(ITEMS, _described, given=False)
class PostingContent:
    """Its values are read from the stored form only as a query asks for them: a page of
    postings that shows a title does not load the hundred other items."""

    @classmethod
    def lazily(cls, load: Callable[[Item[Any]], Any]) -> Self:
        shown = cls.__new__(cls)
        shown.__dict__["_load"] = load
        return shown

    @classmethod
    def of_row(cls, posting: models.Posting) -> Self:
        return cls.lazily(lambda item: item.load(getattr(posting, item.name)))

    @classmethod
    def of_json(cls, stored: dict[str, Any]) -> Self:
        return cls.lazily(
            lambda item: item.load(stored[item.name]) if item.name in stored else _empty(item)
        )

    def __getattr__(self, name: str) -> Any:
        item = ITEM_BY_NAME.get(name)
        load = self.__dict__.get("_load")
        if item is None or load is None:
            raise AttributeError(name)
        value = load(item)
        self.__dict__[name] = value
        return value


def _empty(item: Item[Any]) -> Any:
    return None if item.default_factory is None else item.default_factory()


# What must be sent comes first, then what may be left out.
@strawberry.input(
    description=(
        "The posting form (求人票); sent whole. A draft (一時保存) may be incomplete: "
        "`postingCheck` says what is missing, and `postingSubmit` refuses it until it is not."
    )
)
@_with_items(sorted(ITEMS, key=lambda item: not item.sent), _hinted, given=True)
class PostingContentInput:
    def to_content(self) -> postings.PostingContent:
        return postings.PostingContent(
            **{item.name: _from_input(item, getattr(self, item.name)) for item in ITEMS}
        )


def _may_be_null(item: Item[Any]) -> bool:
    """Whether the item's value may be None (a number or a group left empty)."""
    return type(None) in typing.get_args(_input_type(item))


def _with_optional_items(cls: type[T]) -> type[T]:
    """Give an input class a field for each of the form's items, each optional: an item left
    out is not sent (UNSET)."""
    annotations = inspect.get_annotations(cls)
    for item in ITEMS:
        annotations[item.name] = _input_type(item) | None
        setattr(
            cls, item.name, strawberry.field(description=_hinted(item), default=strawberry.UNSET)
        )
    cls.__annotations__ = annotations
    return cls


@strawberry.input(
    description=(
        "Items of the posting form to change; an item left out stays as it is. null empties "
        'an item that may be empty (a number, a group); text is emptied with "".'
    )
)
@_with_optional_items
class PostingContentChangesInput:
    def to_changes(self) -> dict[str, Any]:
        """The items sent, by name, as the form holds them; null for an item that cannot be
        empty is refused."""
        form_errors = validation.Form()
        changes: dict[str, Any] = {}
        for item in ITEMS:
            value = getattr(self, item.name)
            if value is strawberry.UNSET:
                continue
            if value is None and not _may_be_null(item):
                form_errors.error(
                    ErrorCode.REQUIRED, f"{item.label}は空にできません。", f"content.{item.name}"
                )
                continue
            changes[item.name] = _from_input(item, value)
        form_errors.done()
        return changes


# --- The check --------------------------------------------------------------------------


@strawberry.type(description="A warning of the posting check (orange): likely a mistake.")
class PostingWarning:
    field: str = strawberry.field(description="The form's field it concerns (content.…).")
    code: PostingWarningCode = strawberry.field(
        description="Its stable code, to list in `acknowledgedWarnings`."
    )
    message: str = strawberry.field(description="What to check, in Japanese.")


@strawberry.type(description="The minimum wage a posting's wage was checked against.")
class CheckedMinimumWage:
    prefecture: str = strawberry.field(description="就業場所の都道府県.")
    hourly_wage: Yen = strawberry.field(description="最低賃金時間額 in force on the day.")
    effective_from: dt.date = strawberry.field(description="発効年月日.")


@strawberry.type(
    description=(
        "The check of a posting form: errors (red) keep it from being submitted; warnings "
        "(orange) must be acknowledged. Both in the form's order."
    )
)
class PostingCheckResult:
    errors: list[UserError] = strawberry.field(description="Missing, malformed or unlawful items.")
    warnings: list[PostingWarning] = strawberry.field(
        description="Likely mistakes; submit with their codes in `acknowledgedWarnings`."
    )
    minimum_wage: CheckedMinimumWage | None = strawberry.field(
        description="The workplace prefecture's minimum wage in force today; null if unknown."
    )
    checked_on: dt.date = strawberry.field(description="The day the rules were applied.")

    @classmethod
    def of(cls, result: posting_check.CheckResult, prefecture: str, today: dt.date) -> Self:
        minimum = result.minimum_wage
        return cls(
            errors=[
                UserError(field=graphql_path(e.field), code=e.code, message=e.message)
                for e in result.errors
            ],
            warnings=[
                PostingWarning(field=graphql_path(w.field) or "", code=w.code, message=w.message)
                for w in result.warnings
            ],
            minimum_wage=None
            if minimum is None
            else CheckedMinimumWage(
                prefecture=prefecture,
                hourly_wage=Yen(minimum.yen),
                effective_from=minimum.effective_from,
            ),
            checked_on=today,
        )


@strawberry.input(
    one_of=True,
    description="What to check: a saved posting (`id`), or a form not saved (`content`).",
)
class PostingCheckInput:
    id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A posting of the establishment (or office)."
    )
    content: PostingContentInput | None = strawberry.field(
        default=strawberry.UNSET, description="A form being filled in."
    )


# --- The form's description, for frontends ---------------------------------------------------


@strawberry.type(description="One item of the posting form, as a frontend lays it out.")
class PostingFormItem:
    field: str = strawberry.field(description="Its field in `PostingContentInput` (camelCase).")
    label: str = strawberry.field(description="Its Japanese label, as Hello Work's form shows it.")
    required: bool = strawberry.field(
        description="Whether it must be filled in to submit, always (see `requiredWhen`)."
    )
    required_when: str | None = strawberry.field(
        description=(
            "必須となる条件: when an item not always required must be filled in (雇用期間の定めが"
            "ある場合 …); null when it is always required or never."
        )
    )
    hint: str | None = strawberry.field(description="What the input says of it.")
    parts: list[PostingFormItem] = strawberry.field(
        description="The parts of a group item (固定残業代: amount, hours …); empty otherwise."
    )


@strawberry.type(description="One of the eight sections of the posting form.")
class PostingFormSectionDescription:
    section: PostingFormSection = strawberry.field(description="Which section it is.")
    number: int = strawberry.field(description="Its number on Hello Work's form, 1 to 8.")
    title: str = strawberry.field(description="Its Japanese title.")
    items: list[PostingFormItem] = strawberry.field(description="Its items, in order.")


def _form_item(item: Item[Any]) -> PostingFormItem:
    group_parts = item.parts if isinstance(item, form.Group | form.Groups) else ()
    return PostingFormItem(
        field=to_camel_case(item.name),
        label=item.label,
        required=item.required,
        required_when=item.required_when,
        hint=item.hint,
        parts=[_form_item(part) for part in group_parts],
    )


_FORM_SECTIONS = [
    PostingFormSectionDescription(
        section=section,
        number=number,
        title=section.label,
        items=[_form_item(item) for item in ITEMS if item.section is section],
    )
    for number, section in enumerate(form.Section, start=1)
]


@strawberry.type(description="One item a correction by staff (軽微な修正) changed.")
class PostingChange:
    field: str = strawberry.field(description="Its field in `PostingContentInput` (camelCase).")
    label: str = strawberry.field(description="Its Japanese label, as the form shows it.")
    before: str = strawberry.field(
        description="Its value before, as the printed 求人票 shows it; empty when it was empty."
    )
    after: str = strawberry.field(description="Its value after, likewise.")

    @classmethod
    def from_stored(cls, entry: dict[str, Any]) -> Self:
        return cls(
            field=to_camel_case(entry["field"]),
            label=entry["label"],
            before=entry["before"],
            after=entry["after"],
        )


@strawberry.type(description="One entry of a posting's history.")
class PostingEvent:
    action: PostingAction = strawberry.field(description="What happened.")
    actor_portal: Portal | None = strawberry.field(
        description=(
            "Who acted: STAFF (ハローワーク職員; which one is not shown) or the employer; null "
            "when the service did (the referral deadline, a lapse)."
        )
    )
    from_status: PostingStatus | None = strawberry.field(
        description="The status before; null for the entry that created the posting."
    )
    to_status: PostingStatus = strawberry.field(
        description="The status after (the same as before for an entry that changed none)."
    )
    reason: str | None = strawberry.field(
        description=(
            "Why: the reason of a return or a stop, the note of an acceptance (確認メモ) or of "
            "a correction (修正の理由)."
        )
    )
    changes: list[PostingChange] = strawberry.field(
        description="What a correction by staff (CORRECTED) changed; empty for other entries."
    )
    at: dt.datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: PostingHistoryRow) -> Self:
        changes = row["changes"]
        return cls(
            action=row["action"],
            actor_portal=row["actor_portal"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            reason=row["reason"],
            changes=[PostingChange.from_stored(entry) for entry in changes or ()],
            at=row["created_at"],
        )


@strawberry.type(
    description="本登録 at the counter: needed within 14 days of 仮登録 (to an opening day)."
)
class CounterRegistration:
    reasons: list[CounterRegistrationReason] = strawberry.field(
        description="Why it is needed, decided at submission."
    )
    due_on: dt.date = strawberry.field(
        description="本登録の期限: the submission lapses to DRAFT when it is not done by then."
    )
    confirmed_at: dt.datetime | None = strawberry.field(
        description="When staff marked it done (`postingCounterConfirm`); null until then."
    )


@strawberry.type(
    description=(
        "A job posting (求人) of an establishment, whole: for the establishment's employers "
        "and its office's staff, who also read it by `node`. Job seekers see a posting as a "
        "`PostingSearchResult`."
    )
)
class Posting(relay.Node):
    id: relay.NodeID[int]
    status: PostingStatus = strawberry.field(description="Where it is in its life.")
    posting_number: str | None = strawberry.field(
        description=(
            "求人番号 (posting number) NNNNN-NNNNNNNN: the office's code and a serial, given "
            "when it becomes active; null before."
        )
    )
    referral_deadline: dt.date | None = strawberry.field(
        description=(
            "紹介期限日 (referral deadline), inclusive, Asia/Tokyo: set when it becomes active; "
            "null before."
        )
    )
    renewal_opens_on: dt.date | None = strawberry.field(
        description="First day a renewal can be reserved: 14 days before the deadline."
    )
    renewal_reserved_at: dt.datetime | None = strawberry.field(
        description=(
            "有効中求人更新予約 (renewal reserved): when the employer reserved the renewal; null "
            "when none is reserved."
        )
    )
    submitted_at: dt.datetime | None = strawberry.field(
        description="仮登録 (submitted): when it was last sent to Hello Work; null until then."
    )
    accepted_at: dt.datetime | None = strawberry.field(
        description="受理 (accepted): when staff accepted it; null before."
    )
    invalidated_at: dt.datetime | None = strawberry.field(
        description="無効 (invalidated): when it ended (deadline passed, stopped); null before."
    )
    return_reason: str | None = strawberry.field(
        description=(
            "修正依頼の理由 (why staff last returned it): kept while it is rewritten and sent "
            "again; null until returned, and once accepted."
        )
    )
    stop_reason: str | None = strawberry.field(
        description="募集停止の理由 (why the employer stopped recruiting); null unless stopped."
    )
    change_requested_at: dt.datetime | None = strawberry.field(
        description=(
            "変更申請 (change requested): when the change waiting in `pendingContent` was sent; "
            "null when none waits."
        )
    )
    entered_by_staff: bool = strawberry.field(
        description=(
            "代理入力: entered by Hello Work staff from a paper 求人申込書 (which staff member "
            "is not shown to the establishment)."
        )
    )
    created_at: dt.datetime = strawberry.field(description="When it was created (作成).")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")
    establishment_id: strawberry.Private[int]
    renewed_from_id: strawberry.Private[int | None]
    reused_from_id: strawberry.Private[int | None]
    # The form (求人票) is built only when asked for: a list of applications shows a title.
    model: strawberry.Private[models.Posting]

    @classmethod
    def from_model(cls, posting: models.Posting) -> Self:
        return cls(
            id=posting.id,
            status=posting.status,
            posting_number=posting.posting_number,
            referral_deadline=posting.referral_deadline,
            renewal_opens_on=(
                postings.renewal_opens_on(posting.referral_deadline)
                if posting.referral_deadline is not None
                else None
            ),
            renewal_reserved_at=posting.renewal_reserved_at,
            submitted_at=posting.submitted_at,
            accepted_at=posting.accepted_at,
            invalidated_at=posting.invalidated_at,
            return_reason=posting.return_reason,
            stop_reason=posting.stop_reason,
            change_requested_at=posting.change_requested_at,
            entered_by_staff=posting.entered_by_id is not None,
            created_at=posting.created_at,
            updated_at=posting.updated_at,
            establishment_id=posting.establishment_id,
            renewed_from_id=posting.renewed_from_id,
            reused_from_id=posting.reused_from_id,
            model=posting,
        )

    @strawberry.field(description="What the posting shows now.")
    def content(self) -> PostingContent:
        return PostingContent.of_row(self.model)

    @strawberry.field(
        description="A change waiting for staff review; `content` stays until it is accepted."
    )
    def pending_content(self) -> PostingContent | None:
        if self.model.pending_content is None:
            return None
        return PostingContent.of_json(self.model.pending_content)

    @strawberry.field(
        description=(
            "更新予約: the content the reserved renewal will have; null when none is reserved."
        )
    )
    def renewal_content(self) -> PostingContent | None:
        if self.model.renewal_content is None:
            return None
        return PostingContent.of_json(self.model.renewal_content)

    @strawberry.field(
        description="When staff accepted the reserved renewal; null while it waits for review."
    )
    def renewal_accepted_at(self) -> dt.datetime | None:
        return self.model.renewal_accepted_at

    @strawberry.field(
        description=(
            "本登録: whether this submission needs the employer at the counter, why, by when, "
            "and whether staff marked it done; null when it needs none."
        )
    )
    def counter_registration(self) -> CounterRegistration | None:
        posting = self.model
        if not posting.counter_registration_reasons:
            return None
        assert posting.counter_registration_due_on is not None
        return CounterRegistration(
            reasons=[
                enums.CounterRegistrationReason(reason)
                for reason in posting.counter_registration_reasons
            ],
            due_on=posting.counter_registration_due_on,
            confirmed_at=posting.counter_registration_confirmed_at,
        )

    @strawberry.field(
        description=(
            "The posting check of what staff would review (a waiting change or renewal, else "
            "the content), by today's rules; what `postingCheck` answers for this posting."
        )
    )
    def check(self, info: Info) -> PostingCheckResult:
        today = info.context.rt.clock.today()
        content = postings.content_under_review(self.model)
        return PostingCheckResult.of(
            posting_check.check(content, today), content.workplace_prefecture, today
        )

    @strawberry.field(
        description=(
            "The printed 求人票 (A4 PDF) of the posting, for whoever may see it: a path on this "
            "service, sent with the same session (cookie or bearer token)."
        )
    )
    def kyujinhyo_pdf_url(self) -> str:
        return f"/postings/{relay.to_base64('Posting', self.id)}/kyujinhyo.pdf"

    @strawberry.field(description="The establishment (事業所) the posting belongs to.")
    async def establishment(self, info: Info) -> Establishment:
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    @strawberry.field(description="The establishment's approved images (画像), in display order.")
    async def images(self, info: Info) -> list[PostingImage]:
        return await posting_images(info, self.establishment_id)

    @strawberry.field(
        description=(
            "Every state change and correction by staff: who, when, from, to, why and, for a "
            "correction, what changed."
        )
    )
    async def history(self, info: Info) -> list[PostingEvent]:
        rows = await info.context.loaders.posting_events_by_posting_id.load(self.id)
        return [PostingEvent.from_row(row) for row in rows]

    @strawberry.field(description="The posting this one renews (更新前の求人).")
    async def renewed_from(self, info: Info) -> Posting | None:
        return await _linked(info, self.renewed_from_id)

    @strawberry.field(description="The posting this draft was copied from (転用元).")
    async def reused_from(self, info: Info) -> Posting | None:
        return await _linked(info, self.reused_from_id)

    resolve_nodes = visible_to_viewer(postings.visible_postings)


async def _linked(info: Info, posting_id: int | None) -> Posting | None:
    """A renewal or reuse link: always within one establishment, so visible with its posting."""
    if posting_id is None:
        return None
    return Posting.from_model(await info.context.loaders.posting(posting_id))


# The form's items a search result shows everyone; the address and the contact, which follow the
# publication range, are the type's own fields.
_SEARCH_ITEMS = (
    PostingForm.category,
    PostingForm.work_style,
    PostingForm.employment_type,
    PostingForm.job_title,
    PostingForm.job_description,
    PostingForm.workplace_prefecture,
    PostingForm.employment_period,
    PostingForm.number_to_hire,
    PostingForm.wage_form,
    PostingForm.base_wage_min,
    PostingForm.base_wage_max,
    PostingForm.working_hours,
    PostingForm.annual_holidays,
    PostingForm.weekly_two_days_off,
    PostingForm.accepts_online_applications,
    PostingForm.graduate_class_of,
    PostingForm.passive_smoking_measure,
    PostingForm.trial_period,
    PostingForm.education_requirement,
    PostingForm.age_limit,
    PostingForm.fixed_allowances,
    PostingForm.fixed_overtime_pay,
    PostingForm.commute_allowance,
    PostingForm.annual_paid_leave_days,
    PostingForm.break_minutes,
    PostingForm.special_notes,
    PostingForm.pr,
    PostingForm.selection_method,
)


@strawberry.type(
    description=(
        "A posting as job seekers see it (求人検索), its publication range (公開範囲) applied to "
        "the viewer. Its `id` (not the `Posting`'s) is read again by `node` while the posting "
        "is published to the viewer, as `postingSearch` finds it; null after."
    )
)
@_with_items(_SEARCH_ITEMS, _described, given=False)
class PostingSearchResult(relay.Node):
    id: relay.NodeID[int]
    posting_number: str = strawberry.field(description="求人番号 (posting number).")
    referral_deadline: dt.date = strawberry.field(
        description="紹介期限日 (referral deadline), inclusive, Asia/Tokyo."
    )
    establishment_name: str | None = strawberry.field(
        description=(
            "事業所名 (establishment name); null when the publication range (公開範囲) hides it "
            "from this viewer."
        )
    )
    workplace_address: str | None = strawberry.field(
        description=(
            "就業場所 (workplace address); null when the establishment name is hidden (the "
            "prefecture is always shown)."
        )
    )
    contact: str | None = strawberry.field(
        description="担当者・連絡先 (contact); null when the establishment name is hidden."
    )
    establishment_id: strawberry.Private[int]
    shows_name: strawberry.Private[bool]

    @strawberry.field(description="The printed 求人票 (A4 PDF), as published to this viewer.")
    def kyujinhyo_pdf_url(self) -> str:
        return f"/postings/{relay.to_base64('PostingSearchResult', self.id)}/kyujinhyo.pdf"

    @strawberry.field(
        description="The establishment's approved images; empty when the name is hidden, "
        "since pictures of the workplace would show it."
    )
    async def images(self, info: Info) -> list[PostingImage]:
        if not self.shows_name:
            return []
        return await posting_images(info, self.establishment_id)

    @classmethod
    def from_model(cls, posting: models.Posting, *, show_name: bool) -> Self:
        assert posting.posting_number is not None
        assert posting.referral_deadline is not None
        return cls(
            posting_number=posting.posting_number,
            referral_deadline=posting.referral_deadline,
            establishment_name=posting.establishment.name if show_name else None,
            workplace_address=posting.workplace_address if show_name else None,
            contact=posting.contact if show_name else None,
            **{item.name: item.load(getattr(posting, item.name)) for item in _SEARCH_ITEMS},
            establishment_id=posting.establishment_id,
            shows_name=show_name,
            id=posting.id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ctx = info.context
        viewer = ctx.viewer
        return await visible_nodes(
            node_ids,
            lambda ids: postings.published_postings(ctx.rt, viewer, ids),
            lambda posting: cls.from_model(
                posting, show_name=postings.shows_establishment(viewer, posting)
            ),
        )


@strawberry.type(
    description=(
        "A page of `postingSearch` results (求人検索), newest first; `totalCount` counts every "
        "posting the search finds."
    )
)
class PostingSearchResultConnection(Connection[Edge[PostingSearchResult]]):
    pass


@strawberry.type(
    description=(
        "A page of an establishment's postings (newest first) or of the staff's posting review "
        "queue (oldest first); `totalCount` counts the whole list with its filters."
    )
)
class PostingConnection(Connection[Edge[Posting]]):
    pass


# --- Paging -------------------------------------------------------------------------------

_CURSOR_KIND = "posting"


def _cursor(posting_id: int) -> str:
    return encode_cursor(_CURSOR_KIND, posting_id)


def posting_window(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> Window[int]:
    return id_window(_CURSOR_KIND, first, after, last, before)


def _edge(posting: models.Posting) -> Edge[Posting]:
    return Edge(cursor=_cursor(posting.id), node=Posting.from_model(posting))


def _connection(page: Page[models.Posting]) -> PostingConnection:
    return connection(PostingConnection, page, _edge)


async def establishment_postings(
    info: Info,
    window: Window[int],
    *,
    status: enums.PostingStatus | None = None,
    category: enums.PostingCategory | None = None,
    renewable: bool = False,
) -> PostingConnection:
    """A page of the viewer's establishment's postings; the root field and the home use it."""
    ctx = info.context
    page = await postings.establishment_postings(
        ctx.viewer,
        status=status,
        category=category,
        renewable_on=ctx.rt.clock.today() if renewable else None,
        window=window,
        items=_selected_items(info),
    )
    return _connection(page)


_ITEM_BY_FIELD = {to_camel_case(item.name): item.name for item in ITEMS}
_WHOLE_FORM = frozenset({"check"})
"""Fields of `Posting` that read every item of its form."""

Fragments = Mapping[str, FragmentDefinitionNode]


def _fields(selections: Iterable[SelectionNode], fragments: Fragments) -> Iterator[FieldNode]:
    """The fields selected, through fragments (whatever their conditions: reading a column
    more than needed is harmless)."""
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set.selections, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments)


def _selections(nodes: Iterable[FieldNode]) -> Iterator[SelectionNode]:
    for node in nodes:
        if node.selection_set is not None:
            yield from node.selection_set.selections


def content_items(nodes: Iterable[FieldNode], fragments: Fragments) -> frozenset[str] | None:
    """The form's items a field of type `Posting` shows (its `nodes`, as merged in the
    document): those selected under `content`, so that a list reads a few of its hundred
    columns; None (every column) when a field reads the whole form."""
    items: set[str] = set()
    for field in _fields(_selections(nodes), fragments):
        name = field.name.value
        if name in _WHOLE_FORM:
            return None
        if name != "content":
            continue
        for item in _fields(_selections((field,)), fragments):
            if item.name.value == "__typename":
                continue
            found = _ITEM_BY_FIELD.get(item.name.value)
            if found is None:
                return None
            items.add(found)
    return frozenset(items)


def _page_items(nodes: Iterable[FieldNode], fragments: Fragments) -> frozenset[str] | None:
    """The form's items a page of postings shows (`content_items` of its nodes)."""
    items: set[str] = set()
    for edges in _fields(_selections(nodes), fragments):
        if edges.name.value != "edges":
            continue
        for node in _fields(_selections((edges,)), fragments):
            if node.name.value != "node":
                continue
            found = content_items((node,), fragments)
            if found is None:
                return None
            items |= found
    return frozenset(items)


class _PerField(Generic[T]):
    """`compute(nodes, fragments)` of the field a resolver runs for, worked out once per field
    of a document instead of once per object: a page of fifty applications asks for its
    postings' items fifty times. Keyed by the identity of the field's nodes, which belong to
    the parsed document (kept by the parser cache and the compiled plans); each entry holds
    its nodes, so no id is reused while it is kept. What a field selects does not depend on
    the variables (conditions are not looked at)."""

    def __init__(
        self, compute: Callable[[Sequence[FieldNode], Fragments], T], *, size: int = 512
    ) -> None:
        self._compute = compute
        self._size = size
        self._found: dict[tuple[int, ...], tuple[tuple[FieldNode, ...], T]] = {}

    def __call__(self, info: Info) -> T:
        raw = info._raw_info
        nodes = tuple(raw.field_nodes)
        key = tuple(map(id, nodes))
        entry = self._found.get(key)
        if entry is None:
            if len(self._found) >= self._size:
                del self._found[next(iter(self._found))]
            entry = self._found[key] = (nodes, self._compute(nodes, raw.fragments))
        return entry[1]


posting_items = _PerField(content_items)
"""The form's items the field (of type `Posting`) that `info` is of shows."""
_selected_items = _PerField(_page_items)
"""The form's items the page of postings that `info` is of shows."""


@strawberry.type
class PostingQuery:
    @strawberry.field(
        description=(
            "Employer: the establishment's postings, newest first. `renewable` keeps the "
            "active postings whose renewal can be reserved today."
        )
    )
    async def postings(
        self,
        info: Info,
        status: Annotated[
            PostingStatus | None,
            strawberry.argument(description="Only the postings in this status; null: all."),
        ] = None,
        category: Annotated[
            PostingCategory | None,
            strawberry.argument(description="Only the postings of this 求人区分; null: all."),
        ] = None,
        renewable: Annotated[
            bool,
            strawberry.argument(
                description=(
                    "true: only the active postings whose renewal (更新予約) can be reserved "
                    "today, from 14 days before the referral deadline, none reserved yet."
                )
            ),
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingConnection:
        window = posting_window(first, after, last, before)
        return await establishment_postings(
            info, window, status=status, category=category, renewable=renewable
        )

    @strawberry.field(
        description=(
            "Staff: their office's submitted postings and the changes and renewals of active "
            "ones waiting for review, oldest first."
        )
    )
    async def posting_review_queue(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingConnection:
        page = await postings.review_queue(
            info.context.viewer, window=posting_window(first, after, last, before)
        )
        return _connection(page)

    @strawberry.field(
        description=(
            "Employer or staff: the check of a posting form, by today's rules — a saved posting "
            "(`id`: what staff would review) or a form being filled in (`content`). An unknown "
            "posting is an error on `id`."
        )
    )
    async def posting_check(
        self,
        info: Info,
        input: Annotated[
            PostingCheckInput,
            strawberry.argument(description="A saved posting (`id`) or a form (`content`)."),
        ],
    ) -> PostingCheckResult:
        ctx = info.context
        today = ctx.rt.clock.today()
        if input.content is not None and input.content is not strawberry.UNSET:
            content = input.content.to_content()
            result = postings.check_content(ctx.rt, ctx.viewer, content)
            return PostingCheckResult.of(result, content.workplace_prefecture, today)
        assert isinstance(input.id, relay.GlobalID)
        try:
            posting_id = _posting_id(input.id)
            checked = await postings.check_posting(ctx.rt, ctx.viewer, posting_id)
        except UserErrors as exc:
            return PostingCheckResult(
                errors=user_errors(exc), warnings=[], minimum_wage=None, checked_on=today
            )
        return PostingCheckResult.of(checked.result, checked.prefecture, today)

    @strawberry.field(
        description=(
            "The posting form's eight sections and their items, in Hello Work's order, with "
            "their Japanese labels: for a frontend that lays out the form."
        )
    )
    def posting_form(self) -> list[PostingFormSectionDescription]:
        return _FORM_SECTIONS

    @strawberry.field(
        description=(
            "Anyone: search the active postings published to the viewer (求人検索), newest "
            "first: 公開範囲 1 and 2 for everyone, 3 also for a seeker with a My Page; a 大卒等 "
            "posting from 1 April of its school year. The filters given all apply."
        )
    )
    async def posting_search(
        self,
        info: Info,
        keyword: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "キーワード (keyword): found, as one phrase and ignoring case, in the job "
                    "title, the job description or the workplace address; blank or null: any."
                )
            ),
        ] = None,
        category: Annotated[
            PostingCategory | None,
            strawberry.argument(description="求人区分 (category); null: any."),
        ] = None,
        prefecture: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "就業場所の都道府県 (the workplace's prefecture), in Japanese (東京都); one "
                    "that is no prefecture finds nothing; empty or null: any."
                )
            ),
        ] = None,
        employment_type: Annotated[
            EmploymentType | None,
            strawberry.argument(description="雇用形態 (employment type); null: any."),
        ] = None,
        work_style: Annotated[
            WorkStyle | None,
            strawberry.argument(description="就業形態 (full-time or part-time); null: any."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingSearchResultConnection:
        viewer = info.context.viewer
        window = posting_window(first, after, last, before)
        filters = postings.SearchFilters(
            keyword=keyword,
            category=category,
            prefecture=prefecture,
            employment_type=employment_type,
            work_style=work_style,
        )
        page = await postings.search_postings(info.context.rt, viewer, filters, window=window)
        return connection(
            PostingSearchResultConnection,
            page,
            lambda item: Edge(
                cursor=_cursor(item.id),
                node=PostingSearchResult.from_model(
                    item, show_name=postings.shows_establishment(viewer, item)
                ),
            ),
        )


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(description="A new draft posting (一時保存) of the employer's establishment.")
class PostingCreateInput:
    content: PostingContentInput = strawberry.field(
        description="The posting form, complete or not (the check says what is missing)."
    )


@strawberry.input(
    description="A posting entered by staff from an establishment's paper 求人申込書."
)
class PostingEnterForEstablishmentInput:
    establishment_id: relay.GlobalID = strawberry.field(
        description="An establishment of the staff member's office."
    )
    content: PostingContentInput = strawberry.field(
        description="The posting form as the paper gives it, complete or not."
    )


@strawberry.input(description="A draft or returned posting rewritten, its form sent whole.")
class PostingUpdateInput:
    id: relay.GlobalID = strawberry.field(
        description="A DRAFT or RETURNED posting (for staff: one staff entered)."
    )
    content: PostingContentInput = strawberry.field(
        description="The whole form as it is to be; complete or not."
    )


@strawberry.input(description="A posting to send to Hello Work (仮登録).")
class PostingSubmitInput:
    id: relay.GlobalID = strawberry.field(
        description="A DRAFT or RETURNED posting (for staff: one staff entered)."
    )
    acknowledged_warnings: list[PostingWarningCode] = strawberry.field(
        default_factory=list,
        description="The codes of the check's warnings the employer has confirmed (at most 20).",
    )


@strawberry.input(description="A submission to take back to draft (取り下げ).")
class PostingWithdrawInput:
    id: relay.GlobalID = strawberry.field(description="A SUBMITTED posting.")


@strawberry.input(description="An active posting whose recruiting stops (募集停止).")
class PostingStopInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")
    reason: str = strawberry.field(
        description="募集停止の理由 (why): required, up to 500 characters, trimmed."
    )


@strawberry.input(description="A change to an active posting (変更申請), for staff to review.")
class PostingChangeRequestInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")
    content: PostingContentInput = strawberry.field(
        description="The whole form as it is to be; it must pass the check's errors."
    )
    acknowledged_warnings: list[PostingWarningCode] = strawberry.field(
        default_factory=list,
        description="The codes of the check's warnings the employer has confirmed (at most 20).",
    )


@strawberry.input(description="The renewal of an active posting to reserve (更新予約).")
class PostingRenewalReserveInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")
    content: PostingContentInput | None = strawberry.field(
        default=None,
        description="The renewed posting's form; null: the posting's content as it is.",
    )
    acknowledged_warnings: list[PostingWarningCode] = strawberry.field(
        default_factory=list,
        description="The codes of the check's warnings the employer has confirmed (at most 20).",
    )


@strawberry.input(description="A posting to copy into a new draft (転用).")
class PostingReuseInput:
    id: relay.GlobalID = strawberry.field(description="Any posting of the establishment.")


@strawberry.input(description="What staff accept (受理): a submission, a change or a renewal.")
class PostingAcceptInput:
    id: relay.GlobalID = strawberry.field(
        description=(
            "A SUBMITTED posting, or an ACTIVE one with a change (or else a renewal) waiting."
        )
    )
    note: str = strawberry.field(
        default="",
        description=(
            "確認メモ (review note): what was checked, up to 500 characters, trimmed, kept in "
            "the history; required for a posting staff entered (`enteredByStaff`)."
        ),
    )


@strawberry.input(description="Minor points of a submission staff correct (軽微な修正).")
class PostingCorrectInput:
    id: relay.GlobalID = strawberry.field(description="A SUBMITTED posting (仮登録).")
    content: PostingContentChangesInput = strawberry.field(
        description="The items to change; the others stay."
    )
    note: str = strawberry.field(
        description=(
            "修正の理由 (why): shown to the establishment; required, up to 500 characters, trimmed."
        )
    )


@strawberry.input(description="A submission whose 本登録 (counter registration) is done.")
class PostingCounterConfirmInput:
    id: relay.GlobalID = strawberry.field(
        description="A SUBMITTED posting whose 本登録 is due and not yet done."
    )
    note: str = strawberry.field(
        default="",
        description="メモ (note): what was checked at the counter; optional, up to 500 characters.",
    )


@strawberry.input(
    description="What staff return (修正依頼): a submission, or a waiting change or renewal."
)
class PostingReturnInput:
    id: relay.GlobalID = strawberry.field(
        description=(
            "A SUBMITTED posting, or an ACTIVE one with a change (or else a renewal) waiting."
        )
    )
    reason: str = strawberry.field(
        description=(
            "修正依頼の理由 (why): shown to the establishment; required, up to 500 characters, "
            "trimmed."
        )
    )


UNACKNOWLEDGED_WARNINGS = (
    "When refused with WARNINGS_NOT_ACKNOWLEDGED: the warnings not yet acknowledged, each with "
    "its own code to list in `acknowledgedWarnings`."
)
"""The description of the `warnings` of a payload of what goes to Hello Work."""


@strawberry.type(description="The answer to `postingCreate`.")
class PostingCreatePayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The new draft; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingEnterForEstablishment`.")
class PostingEnterForEstablishmentPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The new draft; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingCorrect`.")
class PostingCorrectPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The corrected posting; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingUpdate`.")
class PostingUpdatePayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The rewritten posting; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingSubmit`.")
class PostingSubmitPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The submitted posting (SUBMITTED); null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
    warnings: list[PostingWarning] = strawberry.field(
        default_factory=list, description=UNACKNOWLEDGED_WARNINGS
    )


@strawberry.type(description="The answer to `postingWithdraw`.")
class PostingWithdrawPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The posting, back to DRAFT; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingStop`.")
class PostingStopPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The stopped posting (INVALID); null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingChangeRequest`.")
class PostingChangeRequestPayload:
    posting: Posting | None = strawberry.field(
        default=None,
        description="The posting, its change waiting (`pendingContent`); null on errors.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
    warnings: list[PostingWarning] = strawberry.field(
        default_factory=list, description=UNACKNOWLEDGED_WARNINGS
    )


@strawberry.type(description="The answer to `postingRenewalReserve`.")
class PostingRenewalReservePayload:
    posting: Posting | None = strawberry.field(
        default=None,
        description="The posting, its renewal reserved (`renewalContent`); null on errors.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
    warnings: list[PostingWarning] = strawberry.field(
        default_factory=list, description=UNACKNOWLEDGED_WARNINGS
    )


@strawberry.type(description="The answer to `postingReuse`.")
class PostingReusePayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The new draft; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingAccept`.")
class PostingAcceptPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The accepted posting; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingCounterConfirm`.")
class PostingCounterConfirmPayload:
    posting: Posting | None = strawberry.field(
        default=None, description="The posting, its 本登録 marked done; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `postingReturn`.")
class PostingReturnPayload:
    posting: Posting | None = strawberry.field(
        default=None,
        description="The returned posting (or the active one, its change refused); null on errors.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


P = TypeVar("P")


async def _run(payload: Callable[..., P], change: Callable[[], Awaitable[models.Posting]]) -> P:
    return await run_change(payload, change, "posting", Posting.from_model)


def _posting_id(global_id: relay.GlobalID) -> int:
    return decode_id(global_id, "Posting", "id")


Sent = TypeVar(
    "Sent", PostingSubmitPayload, PostingChangeRequestPayload, PostingRenewalReservePayload
)


async def _run_sent(
    payload: Callable[..., Sent], change: Callable[[], Awaitable[models.Posting]]
) -> Sent:
    """`_run` for what goes to Hello Work: a refusal for warnings not acknowledged lists them."""
    unacknowledged: list[posting_check.PostingWarning] = []

    async def sending() -> models.Posting:
        try:
            return await change()
        except postings.UnacknowledgedWarnings as exc:
            unacknowledged.extend(exc.warnings)
            raise

    answer = await _run(payload, sending)
    answer.warnings = [
        PostingWarning(field=graphql_path(w.field) or "", code=w.code, message=w.message)
        for w in unacknowledged
    ]
    return answer


MAX_ACKNOWLEDGED = 20


def _acknowledged(
    input: PostingSubmitInput | PostingChangeRequestInput | PostingRenewalReserveInput,
) -> list[posting_check.WarningCode]:
    if len(input.acknowledged_warnings) > MAX_ACKNOWLEDGED:
        raise user_error(
            ErrorCode.OUT_OF_RANGE,
            f"確認した警告は{MAX_ACKNOWLEDGED}件までです。",
            "acknowledged_warnings",
        )
    return input.acknowledged_warnings


@strawberry.type
class PostingMutation:
    @strawberry.mutation(
        description="Employer: a new draft posting (一時保存), complete or not.",
        permission_classes=[IsEmployer],
    )
    async def posting_create(
        self,
        info: Info,
        input: Annotated[PostingCreateInput, strawberry.argument(description="The draft's form.")],
    ) -> PostingCreatePayload:
        ctx = info.context
        return await _run(
            PostingCreatePayload,
            lambda: postings.create_posting(ctx.rt, ctx.viewer, input.content.to_content()),
        )

    @strawberry.mutation(
        description=(
            "Staff: a new draft for an establishment of their office, entered from its paper "
            "求人申込書 (代理入力); staff of the office then rewrite and submit it, and another "
            "staff member accepts it when FOUR_EYES_REVIEW is on."
        ),
        permission_classes=[IsStaff],
    )
    async def posting_enter_for_establishment(
        self,
        info: Info,
        input: Annotated[
            PostingEnterForEstablishmentInput,
            strawberry.argument(description="The establishment and the form from its paper."),
        ],
    ) -> PostingEnterForEstablishmentPayload:
        ctx = info.context
        return await _run(
            PostingEnterForEstablishmentPayload,
            lambda: postings.enter_posting(
                ctx.rt,
                ctx.viewer,
                decode_id(input.establishment_id, "Establishment", "establishment_id"),
                input.content.to_content(),
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer: rewrite a draft or a returned posting; staff of the office: one staff "
            "entered."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def posting_update(
        self,
        info: Info,
        input: Annotated[
            PostingUpdateInput, strawberry.argument(description="The posting and its whole form.")
        ],
    ) -> PostingUpdatePayload:
        ctx = info.context
        return await _run(
            PostingUpdatePayload,
            lambda: postings.update_posting(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.content.to_content()
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer (or staff of the office, for a posting staff entered): send a draft to "
            "Hello Work (仮登録): refused while the check has errors, or warnings not "
            "acknowledged; says whether 本登録 at the counter is needed (never for a posting "
            "staff entered)."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def posting_submit(
        self,
        info: Info,
        input: Annotated[
            PostingSubmitInput,
            strawberry.argument(description="The posting and the warnings acknowledged."),
        ],
    ) -> PostingSubmitPayload:
        ctx = info.context
        return await _run_sent(
            PostingSubmitPayload,
            lambda: postings.submit_posting(
                ctx.rt, ctx.viewer, _posting_id(input.id), _acknowledged(input)
            ),
        )

    @strawberry.mutation(
        description="Employer: take a submitted posting back to draft.",
        permission_classes=[IsEmployer],
    )
    async def posting_withdraw(
        self,
        info: Info,
        input: Annotated[
            PostingWithdrawInput, strawberry.argument(description="The submitted posting.")
        ],
    ) -> PostingWithdrawPayload:
        ctx = info.context
        return await _run(
            PostingWithdrawPayload,
            lambda: postings.withdraw_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Employer: stop recruiting (募集停止); the posting ends.",
        permission_classes=[IsEmployer],
    )
    async def posting_stop(
        self,
        info: Info,
        input: Annotated[
            PostingStopInput, strawberry.argument(description="The active posting and why.")
        ],
    ) -> PostingStopPayload:
        ctx = info.context
        return await _run(
            PostingStopPayload,
            lambda: postings.stop_posting(ctx.rt, ctx.viewer, _posting_id(input.id), input.reason),
        )

    @strawberry.mutation(
        description="Employer: propose a change to an active posting; staff review it.",
        permission_classes=[IsEmployer],
    )
    async def posting_change_request(
        self,
        info: Info,
        input: Annotated[
            PostingChangeRequestInput,
            strawberry.argument(
                description="The active posting, its changed form and the warnings acknowledged."
            ),
        ],
    ) -> PostingChangeRequestPayload:
        ctx = info.context
        return await _run_sent(
            PostingChangeRequestPayload,
            lambda: postings.request_change(
                ctx.rt,
                ctx.viewer,
                _posting_id(input.id),
                input.content.to_content(),
                _acknowledged(input),
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer: reserve the renewal (更新予約), from 14 days before the deadline; checked "
            "by today's rules and reviewed by staff before it becomes active at the deadline."
        ),
        permission_classes=[IsEmployer],
    )
    async def posting_renewal_reserve(
        self,
        info: Info,
        input: Annotated[
            PostingRenewalReserveInput,
            strawberry.argument(
                description="The active posting, the renewal's form and the warnings acknowledged."
            ),
        ],
    ) -> PostingRenewalReservePayload:
        ctx = info.context
        return await _run_sent(
            PostingRenewalReservePayload,
            lambda: postings.reserve_renewal(
                ctx.rt,
                ctx.viewer,
                _posting_id(input.id),
                None if input.content is None else input.content.to_content(),
                _acknowledged(input),
            ),
        )

    @strawberry.mutation(
        description="Employer: a new draft copied from an earlier posting (転用).",
        permission_classes=[IsEmployer],
    )
    async def posting_reuse(
        self,
        info: Info,
        input: Annotated[
            PostingReuseInput, strawberry.argument(description="The posting to copy.")
        ],
    ) -> PostingReusePayload:
        ctx = info.context
        return await _run(
            PostingReusePayload,
            lambda: postings.reuse_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description=(
            "Staff: accept (受理) a submitted posting, or a change to an active one; a posting "
            "staff entered needs a `note`, and another staff member when FOUR_EYES_REVIEW is on."
        ),
        permission_classes=[IsStaff],
    )
    async def posting_accept(
        self,
        info: Info,
        input: Annotated[
            PostingAcceptInput, strawberry.argument(description="The posting and the review note.")
        ],
    ) -> PostingAcceptPayload:
        ctx = info.context
        return await _run(
            PostingAcceptPayload,
            lambda: postings.accept_posting(ctx.rt, ctx.viewer, _posting_id(input.id), input.note),
        )

    @strawberry.mutation(
        description=(
            "Staff: correct minor points (軽微な修正) of a submitted posting before accepting "
            "it, with a note; the establishment sees what changed and why (history, notice)."
        ),
        permission_classes=[IsStaff],
    )
    async def posting_correct(
        self,
        info: Info,
        input: Annotated[
            PostingCorrectInput,
            strawberry.argument(description="The submitted posting, the items changed and why."),
        ],
    ) -> PostingCorrectPayload:
        ctx = info.context
        return await _run(
            PostingCorrectPayload,
            lambda: postings.correct_posting(
                ctx.rt,
                ctx.viewer,
                _posting_id(input.id),
                input.content.to_changes(),
                input.note,
            ),
        )

    @strawberry.mutation(
        description=(
            "Staff: mark 本登録 done — the employer came to the counter within the due date; "
            "the submission can then be accepted."
        ),
        permission_classes=[IsStaff],
    )
    async def posting_counter_confirm(
        self,
        info: Info,
        input: Annotated[
            PostingCounterConfirmInput,
            strawberry.argument(description="The submitted posting and a note."),
        ],
    ) -> PostingCounterConfirmPayload:
        ctx = info.context
        return await _run(
            PostingCounterConfirmPayload,
            lambda: postings.confirm_counter_registration(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.note
            ),
        )

    @strawberry.mutation(
        description="Staff: return a posting for correction (修正依頼), or refuse a change.",
        permission_classes=[IsStaff],
    )
    async def posting_return(
        self,
        info: Info,
        input: Annotated[
            PostingReturnInput, strawberry.argument(description="The posting and why.")
        ],
    ) -> PostingReturnPayload:
        ctx = info.context
        return await _run(
            PostingReturnPayload,
            lambda: postings.return_posting(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.reason
            ),
        )
