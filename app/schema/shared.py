"""Shared deliveries: the subscriptions of one audience with the same document run one
execution of each event where nothing they select depends on who is viewing.

One event wakes every subscription of its audience in the same event-loop tick (their reads are
answered together, `app.resolvers.fanout.Coalescer`), and each then ran the same document on the
same event: a thousand dashboards of one establishment, a thousand executions with one answer.
Now the first subscription to execute an event runs it, and the others of its key take its
`ExecutionResult`; the key is the document, the operation's name, the variables the execution
reads and the audience (`SharedDeliveries.operation`). Each subscription keeps its own stream
(its cursor, its replay, its session checks, its close codes), its own extensions and errors
processing and its own `next` frame: only the execution of the selection on the event is shared.

Shared only when every field the operation may select, on every type it may meet, is in
`AUDITED`: read and found not to depend on the viewer, or only on what every subscriber of the
audience has in common — the portal, the establishment or the office (and, for a seeker, the
seeker). A field that reads more of the viewer is in `READS_THE_VIEWER`, with why; a field in
neither (a new one) is unknown, and unknown is not shared. tests/test_shared_delivery.py holds
the table to the schema: every field reachable from the subscriptions has one verdict.

Where a follower finds the execution of its key still running, it waits for it; where that
execution failed or was cancelled, it runs its own. An execution is shared until the event-loop
iteration after it finished: long enough for the subscriptions woken with it, too short for a
later delivery to see an older state of the rows than its own execution would.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, cast

import orjson
import strawberry
from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
    parse,
)
from graphql.execution.executor import Executor
from graphql.language import visit
from graphql.language.visitor import Visitor

from app.models import Portal
from app.viewer import Viewer

ANALYSIS_CACHE_SIZE = 512
"""Documents whose selection is kept analysed, as many as the parser cache keeps parsed."""

_every = str.split

AUDITED: Mapping[str, frozenset[str]] = {
    name: frozenset(_every(fields))
    for name, fields in {
        # The roots: each subscription's own stream, by its viewer's audience; the event is
        # executed with the event alone (the root field's arguments only start the stream).
        "Subscription": "messageReceived applicationStatusChanged interviewChanged "
        "noticeReceived reviewQueueChanged",
        # The events, built by `app.schema.subscriptions` from the stored event alone.
        "MessageReceivedEvent": "cursor message",
        "ApplicationStatusChangedEvent": "cursor application fromStatus toStatus reason at",
        "InterviewChangedEvent": "cursor interview change application",
        "NoticeReceivedEvent": "cursor notice",
        "ReviewQueueChangedEvent": "cursor change kind itemId item at",
        # Messages. `readAt` is the receiving side's, not a login's; `unreadCount` and
        # `counterpart` read the viewer's side (READS_THE_AUDIENCE).
        "Message": "id body sender createdAt readAt thread",
        "MessageThread": "id createdAt lastMessageAt unreadCount lastMessage counterpart",
        "MessageSeeker": "id label relations",
        "MessageEstablishment": "id name relations",
        "MessageRelation": "id kind postingNumber jobTitle createdAt",
        # Applications: `person` reads the viewer (READS_THE_VIEWER); the fields hidden from
        # the seeker read the portal (READS_THE_AUDIENCE).
        "Application": "id status source referralLetterNumber referralNote createdAt "
        "updatedAt hasMyPage motivation resultReport resultNotice resultLockedFrom documents "
        "referralLetterPdfUrl notes interviews hireDate conditionsDiffer posting "
        "postingSummary applicant statusHistory",
        "ApplicantPerson": "name kana age prefecture city phone email hasMyPage",
        "ApplicantProfile": "id profileId desiredJob desiredPrefecture desiredEmploymentType "
        "desiredWorkStyle experience licenses updatedAt",
        "ApplicationResultReport": "result hireDate conditionsDiffer rejectionReason note "
        "reportedAt reportedByPortal",
        "ApplicationResultNotice": "method notifiedAt",
        "ApplicationDocument": "id kind fileFormat fileName size uploadedAt downloadUrl",
        "ApplicationNote": "id body createdAt updatedAt",
        "ApplicationStatusChange": "id actorPortal at fromStatus toStatus reason",
        "Interview": "id startsAt durationMinutes place onlineUrl note cancelledAt "
        "cancelReason createdAt",
        "EmployerLogin": "id email createdAt lastLoginAt lockedUntil active withdrawnAt locked",
        # Notices: `readAt` is the establishment's (its first login to read it).
        "HelloWorkNotice": "id kind title body dueOn createdAt readAt posting application",
        # Postings: `check` reads the clock, not the viewer.
        "Posting": "id status postingNumber referralDeadline renewalOpensOn renewalReservedAt "
        "submittedAt acceptedAt invalidatedAt returnReason stopReason changeRequestedAt "
        "enteredByStaff createdAt updatedAt content pendingContent renewalContent "
        "renewalAcceptedAt counterRegistration check kyujinhyoPdfUrl establishment images "
        "history renewedFrom reusedFrom",
        # As `Application.postingSummary` made it for the viewer's portal.
        "PostingSearchResult": "id postingNumber referralDeadline establishmentName "
        "workplaceAddress contact category workStyle employmentType jobTitle jobDescription "
        "workplacePrefecture employmentPeriod numberToHire wageForm baseWageMin baseWageMax "
        "workingHours annualHolidays weeklyTwoDaysOff acceptsOnlineApplications "
        "graduateClassOf passiveSmokingMeasure trialPeriod educationRequirement ageLimit "
        "fixedAllowances fixedOvertimePay commuteAllowance annualPaidLeaveDays breakMinutes "
        "specialNotes pr selectionMethod kyujinhyoPdfUrl images",
        "PostingContent": "category graduateClassOf workStyle employmentType contractingWork "
        "trialEmployment publicationRange acceptsOnlineApplications businessContent "
        "companyFeatures workplaceEmployees workplaceFemaleEmployees "
        "workplacePartTimeEmployees hasWorkRules childcareLeaveTaken youthEmploymentInfo "
        "jobTitle jobDescription workplacePostalCode workplacePrefecture workplaceAddress "
        "nearestStation passiveSmokingMeasure employmentPeriod employmentPeriodDetail "
        "contractRenewal trialPeriod numberToHire requiredExperience requiredLicenses "
        "educationRequirement ageLimit workplaceChangeScope jobChangeScope wageForm "
        "baseWageMin baseWageMax fixedAllowances fixedOvertimePay allowances commuteAllowance "
        "payDay payRaise bonus workingHours dailyWorkingMinutes weeklyWorkingDays "
        "variableWorkingHours breakMinutes hasOvertime overtime overtimeDetail annualHolidays "
        "weeklyTwoDaysOff holidaysDetail annualPaidLeaveDays insurances insurance "
        "retirementAllowance retirementAge reemployment extendedEmployment specialNotes pr "
        "selectionMethod documents resultNoticeDays resultNoticeMethod contact",
        "YouthEmploymentInfo": "graduateHiresLastYear graduateHiresTwoYearsAgo "
        "graduateHiresThreeYearsAgo leaversLastYear leaversTwoYearsAgo leaversThreeYearsAgo "
        "training averageMonthlyOvertimeHours averagePaidLeaveDaysTaken",
        "PassiveSmokingMeasure": "measure smokingAllowed note",
        "ContractRenewal": "possibility conditions hasUpperLimit upperLimit",
        "TrialPeriod": "hasTrialPeriod months conditionsDiffer conditions",
        "EducationRequirement": "level mandatory detail",
        "AgeLimit": "lower upper exceptionReason reasonText",
        "FixedAllowance": "name amount",
        "FixedOvertimePay": "amount hours excessPaid",
        "CommuteAllowance": "payment monthlyAmount",
        "PayRaise": "hasRaise lastYear",
        "Bonus": "hasBonus timesLastYear lastYear",
        "Overtime": "monthlyAverageHours specialClause specialClauseDetail",
        "ContinuedEmployment": "available upperAge",
        "CounterRegistration": "reasons dueOn confirmedAt",
        "PostingCheckResult": "errors warnings minimumWage checkedOn",
        "UserError": "field code message",
        "PostingWarning": "field code message",
        "CheckedMinimumWage": "prefecture hourlyWage effectiveFrom",
        "PostingImage": "id url caption format width height",
        "PostingEvent": "action actorPortal fromStatus toStatus reason changes at",
        "PostingChange": "field label before after",
        # Establishments: the records only its office's staff see, and `pendingChange`, read
        # the portal and the office or establishment (READS_THE_AUDIENCE).
        "Establishment": "id establishmentNumber name nameKana phoneNumber postalCode address "
        "businessContent features representativeTitle representativeName employeeCount "
        "workplaceEmployeeCount foundedYear capitalYen website notificationEmail postings "
        "applications logins reviewHistory office pendingChange",
        "EstablishmentProfile": "name nameKana postalCode address phoneNumber businessContent "
        "features representativeTitle representativeName employeeCount "
        "workplaceEmployeeCount foundedYear capitalYen website notificationEmail",
        "Office": "id code name",
        "EstablishmentPostingConnection": "pageInfo edges totalCount",
        "EstablishmentPostingEdge": "cursor node",
        "EstablishmentApplicationConnection": "pageInfo edges totalCount",
        "EstablishmentApplicationEdge": "cursor node",
        "ReviewHistoryEntryConnection": "pageInfo edges totalCount",
        "ReviewHistoryEntryEdge": "cursor node",
        "ReviewHistoryEntry": "id at action reason posting by",
        "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
        # What waits for review (the review queue's items).
        "EstablishmentImage": "id url caption position status format width height sizeBytes "
        "uploadedAt reviewedAt reviewReason establishment",
        "EstablishmentChange": "id status proposed requestedAt reviewedAt reviewReason "
        "establishment",
        "EstablishmentPreRegistration": "id receiptNumber status name nameKana postalCode "
        "prefecture city street phoneNumber industry employeeCount representativeTitle "
        "representativeName contactName contactDepartment contactPhone email createdAt "
        "verifiedAt reviewedAt refusalReason reviewNote office establishment",
    }.items()
}
"""Per type, its fields found to give every subscriber of one audience the same answer: they
read no viewer, or only what the audience has in common (`READS_THE_AUDIENCE`)."""

READS_THE_AUDIENCE: Mapping[str, str] = {
    "MessageThread.unreadCount": "the viewer's side (portal): the other side's messages unread",
    "MessageThread.counterpart": "the viewer's side (portal): a seeker's label or the "
    "establishment",
    "Application.resultReport": "the portal: null for the seeker",
    "Application.referralLetterPdfUrl": "the portal: null for the seeker",
    "Application.hireDate": "the portal: null for the seeker",
    "Application.conditionsDiffer": "the portal: false for the seeker",
    "Application.posting": "the portal: null for the seeker",
    "Application.postingSummary": "the portal: the establishment's name shown by the "
    "publication range (公開範囲)",
    "Application.notes": "the portal and establishment: the establishment's logins only",
    "Establishment.postings": "the portal and office: its office's staff only",
    "Establishment.applications": "the portal and office: its office's staff only",
    "Establishment.logins": "the portal and office: its office's staff only (isViewer false)",
    "Establishment.reviewHistory": "the portal and office: its office's staff only",
    "Establishment.pendingChange": "the establishment or office: its employers and office's "
    "staff only",
}
"""The fields of `AUDITED` that read the viewer, and what of it: the same for every viewer of
one audience (an employer's establishment, a staff member's office, a seeker)."""

READS_THE_VIEWER: Mapping[str, str] = {
    "Application.person": "each read is recorded for the viewer's login (個人情報の閲覧記録), "
    "and who may read it is the viewer's",
    "ApplicationNote.author": "`isViewer`: whether the author is the viewer's login",
    "ApplicationNote.updatedBy": "`isViewer`: whether the editor is the viewer's login",
    "ApplicationNote.authoredByMe": "whether the author is the viewer's login",
    "EmployerLogin.isViewer": "whether the login is the viewer's",
    "ReviewHistoryEntry.byViewer": "whether the viewer took the decision",
}
"""The fields reachable from the subscriptions that depend on who views them: a document that
may select one is executed for each subscription."""


# --- Which operations share, and with whom ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Analysis:
    variables: tuple[str, ...]
    """The variables the execution of an event reads: those of directives and of the fields
    below the root; the root field's arguments only start each subscription's own stream."""


class _NotShared(Exception):
    """The operation may select something that depends on the viewer, or unknown."""


@functools.lru_cache(maxsize=ANALYSIS_CACHE_SIZE)
def _analysis(
    schema: GraphQLSchema, query: str, operation_name: str | None, max_tokens: int
) -> _Analysis | None:
    """The variables an event's execution reads, when the operation is a subscription whose
    every selection is in `AUDITED`; None otherwise (and for a document that does not parse:
    Strawberry reports it as it would)."""
    try:
        document = parse(query, max_tokens=max_tokens)
        return _Selection(schema, document).analysis(operation_name)
    except (GraphQLError, _NotShared, RecursionError):
        return None


class _Selection:
    """One document's operation, walked for the fields it may select on each object type."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables: set[str] = set()
        self.spread: set[tuple[str, frozenset[GraphQLObjectType], bool]] = set()
        """Fragments walked, on which types, at the root or not: each once, so that fragments
        spreading fragments cost their size, not their expansion (limits run only later)."""

    def analysis(self, operation_name: str | None) -> _Analysis:
        operation = self._operation(operation_name)
        root = self.schema.subscription_type
        if operation.operation is not OperationType.SUBSCRIPTION or root is None:
            raise _NotShared
        if any(fragment.variable_definitions for fragment in self.fragments.values()):
            raise _NotShared
        self._walk(operation.selection_set, frozenset({root}), at_root=True)
        return _Analysis(variables=tuple(sorted(self.variables)))

    def _operation(self, name: str | None) -> OperationDefinitionNode:
        if name is None:
            if len(self.operations) != 1:
                raise _NotShared
            return self.operations[0]
        for operation in self.operations:
            if operation.name is not None and operation.name.value == name:
                return operation
        raise _NotShared

    def _walk(
        self, selection_set: SelectionSetNode, types: frozenset[GraphQLObjectType], *, at_root: bool
    ) -> None:
        """Every selection of `selection_set` on every object type it may meet there."""
        for selection in selection_set.selections:
            self._directives(selection.directives)
            if isinstance(selection, FieldNode):
                self._field(selection, types, at_root=at_root)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                narrowed = types if condition is None else self._narrow(types, condition.name.value)
                self._walk(selection.selection_set, narrowed, at_root=at_root)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise _NotShared
                narrowed = self._narrow(types, fragment.type_condition.name.value)
                walked = (fragment.name.value, narrowed, at_root)
                if walked not in self.spread:  # also ends a cycle, which validation refuses
                    self.spread.add(walked)
                    self._walk(fragment.selection_set, narrowed, at_root=at_root)
            else:
                raise _NotShared

    def _field(
        self, node: FieldNode, types: frozenset[GraphQLObjectType], *, at_root: bool
    ) -> None:
        name = node.name.value
        if name == "__typename":
            return
        if not at_root:
            self.variables.update(_variables_in(node.arguments))
        below: set[GraphQLObjectType] = set()
        for object_type in types:
            field = object_type.fields.get(name)
            if field is None or name not in AUDITED.get(object_type.name, ()):
                raise _NotShared
            below.update(self._objects(get_named_type(field.type)))
        if node.selection_set is not None:
            self._walk(node.selection_set, frozenset(below), at_root=False)

    def _directives(self, directives: Sequence[DirectiveNode] | None) -> None:
        for directive in directives or ():
            if directive.name.value not in ("include", "skip"):
                raise _NotShared
            self.variables.update(_variables_in(directive.arguments))

    def _narrow(
        self, types: frozenset[GraphQLObjectType], condition: str
    ) -> frozenset[GraphQLObjectType]:
        named = self.schema.get_type(condition)
        if named is None:
            raise _NotShared
        return types & self._objects(named)

    def _objects(self, named: Any) -> frozenset[GraphQLObjectType]:
        """The object types a value of `named` may be (none for a leaf)."""
        if is_object_type(named):
            return frozenset({named})
        if is_abstract_type(named):
            return frozenset(self.schema.get_possible_types(named))
        return frozenset()


def _variables_in(nodes: Sequence[Node] | None) -> set[str]:
    found: set[str] = set()

    class Variables(Visitor):
        def enter_variable(self, node: VariableNode, *_: object) -> None:
            found.add(node.name.value)

    for node in nodes or ():
        visit(node, Variables())
    return found


def audience_key(viewer: Viewer) -> tuple[object, ...] | None:
    """What every subscriber of one audience has in common, and all that a field of
    `READS_THE_AUDIENCE` reads: the portal and the establishment or office; a seeker is an
    audience alone. None without a login."""
    user = viewer.user
    if user is None:
        return None
    seeker = user.id if user.portal == Portal.SEEKER else None
    return (user.portal, user.establishment_id, user.office_id, seeker)


_ABSENT = b""
"""A variable not given (its default applies): unlike any JSON value, null included."""


@dataclass(frozen=True, slots=True)
class SharedOperation:
    """A subscription whose events may share their execution with the others of `key`."""

    deliveries: SharedDeliveries
    key: tuple[object, ...]


_CURRENT: contextvars.ContextVar[SharedOperation | None] = contextvars.ContextVar(
    "shared_operation", default=None
)


@contextlib.contextmanager
def sharing(operation: SharedOperation | None) -> Iterator[None]:
    """Run the operation of this task (a WebSocket operation has its own) as `operation`."""
    token = _CURRENT.set(operation)
    try:
        yield
    finally:
        _CURRENT.reset(token)


class SharedDeliveries:
    """The executions of events that the subscriptions of this process share."""

    def __init__(self, schema: strawberry.Schema, *, max_tokens: int) -> None:
        """Wraps `schema`'s executor (whichever it is) in `SharingExecutor`, which shares the
        executions of the operations run with `sharing` and leaves every other alone."""
        self._graphql_schema = schema._schema
        self._max_tokens = max_tokens
        schema.execution_context_class = _sharing_executor(schema.execution_context_class)
        self._running: dict[tuple[object, ...], asyncio.Future[ExecutionResult | None]] = {}

    def operation(
        self,
        query: str | None,
        operation_name: str | None,
        variables: Mapping[str, object] | None,
        viewer: Viewer,
    ) -> SharedOperation | None:
        """The subscription's share key, when its events may share their execution."""
        audience = audience_key(viewer)
        if query is None or audience is None:
            return None
        analysis = _analysis(self._graphql_schema, query, operation_name, self._max_tokens)
        if analysis is None:
            return None
        given = variables or {}
        try:
            values = tuple(
                orjson.dumps(given[name], option=orjson.OPT_SORT_KEYS) if name in given else _ABSENT
                for name in analysis.variables
            )
        except TypeError:  # not JSON (an integer past 64 bits): graphql-core refuses it
            return None
        return SharedOperation(self, (query, operation_name, values, audience))

    def result(
        self, key: tuple[object, ...], execute: Callable[[], Any]
    ) -> ExecutionResult | Awaitable[ExecutionResult]:
        """The execution of `key` (an operation's and an event's), run by `execute` unless
        another subscription runs it or has just run it."""
        running = self._running.get(key)
        if running is not None:
            if not running.done():
                return self._follow(running, execute)
            shared = running.result()
            return shared if shared is not None else execute()
        running = asyncio.get_running_loop().create_future()
        self._running[key] = running
        try:
            value = execute()
        except BaseException:
            self._finished(key, running, None)
            raise
        if isawaitable(value):
            return self._lead(key, running, value)
        self._finished(key, running, value)
        return cast("ExecutionResult", value)

    async def _lead(
        self,
        key: tuple[object, ...],
        running: asyncio.Future[ExecutionResult | None],
        value: Awaitable[ExecutionResult],
    ) -> ExecutionResult:
        try:
            result = await value
        except BaseException:
            self._finished(key, running, None)
            raise
        self._finished(key, running, result)
        return result

    @staticmethod
    async def _follow(
        running: asyncio.Future[ExecutionResult | None], execute: Callable[[], Any]
    ) -> ExecutionResult:
        # Shielded: a follower cancelled (its socket closed) must not cancel the others' wait.
        shared = await asyncio.shield(running)
        if shared is not None:
            return shared
        own = execute()
        return cast("ExecutionResult", await own if isawaitable(own) else own)

    def _finished(
        self,
        key: tuple[object, ...],
        running: asyncio.Future[ExecutionResult | None],
        result: ExecutionResult | None,
    ) -> None:
        """`result` (None: failed, each runs its own) for the waiting and for those that come
        in this iteration of the event loop; forgotten in the next."""
        running.set_result(result)
        asyncio.get_running_loop().call_soon(self._forget, key, running)

    def _forget(
        self, key: tuple[object, ...], running: asyncio.Future[ExecutionResult | None]
    ) -> None:
        if self._running.get(key) is running:
            del self._running[key]


class SharingExecutor(Executor[Any]):
    """Executes an event of a subscription run with `sharing` once for its whole key; any other
    execution as the executor it is mixed into (`SharedDeliveries` makes the class)."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = _CURRENT.get()
        cursor = getattr(self.root_value, "cursor", None)
        if (
            shared is None
            or not isinstance(cursor, str)
            or self.operation.operation is not OperationType.SUBSCRIPTION
            or (self.middleware_manager is not None and self.middleware_manager.middlewares)
        ):
            return super().execute_operation(serially)
        own = super().execute_operation
        return shared.deliveries.result((shared.key, cursor), lambda: own(serially))


_SHARING_EXECUTORS: dict[type[Executor[Any]], type[Executor[Any]]] = {}


def _sharing_executor(base: type[Executor[Any]]) -> type[Executor[Any]]:
    """`base` with `SharingExecutor` in front, one class per executor class."""
    made = _SHARING_EXECUTORS.get(base)
    if made is None:
        made = _SHARING_EXECUTORS[base] = type(
            f"Sharing{base.__name__}", (SharingExecutor, base), {}
        )
    return made
