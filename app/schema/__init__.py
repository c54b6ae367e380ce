"""The GraphQL schema: the root types merged from each domain, and its extensions."""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.observability import OperationObserver
from app.schema.accounts import AccountMutation, AccountQuery
from app.schema.applications import ApplicationMutation, ApplicationQuery
from app.schema.audit import AuditQuery
from app.schema.context import Info
from app.schema.documents import DocumentMutation
from app.schema.errors import CodedErrors, is_expected
from app.schema.establishments import (
    YEN_SCALAR,
    Establishment,
    EstablishmentMutation,
    EstablishmentQuery,
    Office,
    Yen,
)
from app.schema.execution import executor_class
from app.schema.extensions import (
    HiddenSuggestions,
    LimitedValidationCache,
    QueryCostLimiter,
    QueryLimits,
    ReportingParserCache,
)
from app.schema.home import HomeQuery
from app.schema.images import ImageMutation, ImageQuery
from app.schema.interviews import InterviewMutation
from app.schema.messages import MessageMutation, MessageQuery
from app.schema.notices import NoticeMutation, NoticeQuery
from app.schema.office_events import OfficeEventMutation, OfficeEventQuery
from app.schema.postings import Posting, PostingMutation, PostingQuery
from app.schema.pre_registration import PreRegistrationMutation
from app.schema.review import ReviewQuery
from app.schema.seekers import SeekerMutation, SeekerQuery, SeekerRequest
from app.schema.subscriptions import Subscription, SubscriptionQuery
from app.schema.terms import TermsQuery
from app.schema.wages import WageQuery
from app.settings import Settings
from app.transport import PARSER_CACHE_SIZE

MAX_NODES = 100
"""The most global IDs one `nodes` reads, as a page holds."""


@strawberry.type(description="What a client reads: every query of the service.")
class Query(
    AccountQuery,
    HomeQuery,
    PostingQuery,
    SeekerQuery,
    ApplicationQuery,
    MessageQuery,
    NoticeQuery,
    ImageQuery,
    OfficeEventQuery,
    ReviewQuery,
    TermsQuery,
    WageQuery,
    AuditQuery,
    SubscriptionQuery,
    EstablishmentQuery,
):
    @strawberry.field(
        description=(
            "Any object the viewer may see, by its global ID; null for an ID that names "
            "nothing the viewer may see (malformed ones included)."
        )
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="A global ID (an object's `id`).")
        ],
    ) -> relay.Node | None:
        return (await _nodes(info, [id]))[0]

    @strawberry.field(
        description=(
            "Several objects by their global IDs (at most 100), in the order given, each read "
            "as `node` reads it: null for each ID that names nothing the viewer may see. The "
            "IDs of one type are read together."
        )
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Global IDs (objects' `id`), 0 to 100."),
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise GraphQLError(
                f"ids は{MAX_NODES}件までで指定してください。",
                extensions={"code": "BAD_USER_INPUT"},
            )
        return await _nodes(info, ids)


async def _nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """The objects `ids` name that the viewer may see, in order: one `resolve_nodes` per type.
    A malformed ID, or one of a type that is no Node, is simply nothing the viewer can see."""
    found: list[relay.Node | None] = [None] * len(ids)
    by_type: dict[type[relay.Node], list[tuple[int, str]]] = defaultdict(list)
    for index, id in enumerate(ids):
        try:
            global_id = relay.GlobalID.from_id(id)
            by_type[global_id.resolve_type(info)].append((index, global_id.node_id))
        except (KeyError, ValueError, GlobalIDValueError):
            continue
    for node_type, wanted in by_type.items():
        nodes = node_type.resolve_nodes(
            info=info, node_ids=[node_id for _, node_id in wanted], required=False
        )
        if inspect.isawaitable(nodes):
            nodes = await nodes
        for (index, _), node in zip(wanted, nodes, strict=True):
            found[index] = node
    return found


@strawberry.type(
    description=(
        "What a client changes: each mutation takes one `input` and answers a payload with "
        "`errors` (coded, in Japanese) that is empty when the change was made."
    )
)
class Mutation(
    AccountMutation,
    EstablishmentMutation,
    PostingMutation,
    SeekerMutation,
    ApplicationMutation,
    DocumentMutation,
    MessageMutation,
    NoticeMutation,
    ImageMutation,
    OfficeEventMutation,
    InterviewMutation,
    PreRegistrationMutation,
):
    pass


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only the failures of the service, with their traceback; not the clients'."""
        unexpected = [error for error in errors if not is_expected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the request limits of `settings` (the defaults when not given)."""
    settings = settings or Settings()
    production = settings.is_production
    # The size, depth, alias and repetition limits are checked before graphql-core's rules, in
    # one pass that takes each fragment once (Strawberry's depth and alias limiters expand every
    # spread anew, exponential in fragments spreading fragments; graphql-core's rule for
    # overlapping fields is quadratic in repeated fields). Validation is kept per document and
    # rules: with no rule added, a repeated document is validated once.
    limits = QueryLimits(
        max_size=settings.query_max_size,
        max_depth=settings.query_max_depth,
        max_aliases=settings.query_max_aliases,
    )
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationObserver,
        lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.query_max_cost),
        lambda: ReportingParserCache(maxsize=PARSER_CACHE_SIZE),
        lambda: LimitedValidationCache(limits),
        CodedErrors,
    ]
    if production:
        extensions += [DisableIntrospection, HiddenSuggestions]
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Establishment, Office, Posting, SeekerRequest],
        extensions=extensions,
        config=StrawberryConfig(scalar_map={Yen: YEN_SCALAR}),
        execution_context_class=executor_class(settings.execution),
    )


schema = build_schema()
