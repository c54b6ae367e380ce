"""The GraphQL schema: the root types merged from each domain, and its extensions."""

from __future__ import annotations

from collections.abc import Callable

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


@strawberry.type
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
    @strawberry.field(description="Any object the viewer may see, by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        # A malformed or unknown ID is simply nothing the viewer can see.
        try:
            global_id = relay.GlobalID.from_id(id)
            return await global_id.resolve_node(info, required=False)
        except (KeyError, ValueError, GlobalIDValueError):
            return None


@strawberry.type
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


VALIDATION_CACHE_SIZE = 512


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the request limits of `settings` (the defaults when not given)."""
    settings = settings or Settings()
    production = settings.is_production
    # The size, depth, alias and repetition limits are checked before graphql-core's rules, in
    # one pass that takes each fragment once (Strawberry's depth and alias limiters expand every
    # spread anew, exponential in fragments spreading fragments; graphql-core's rule for
    # overlapping fields is quadratic in repeated fields). `ValidationCache` is keyed by the
    # document and its rules: with no rule added, a repeated document is validated once.
    limits = QueryLimits(
        max_size=settings.query_max_size,
        max_depth=settings.query_max_depth,
        max_aliases=settings.query_max_aliases,
    )
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationObserver,
        lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.query_max_cost),
        lambda: ReportingParserCache(maxsize=512),
        lambda: LimitedValidationCache(limits, maxsize=VALIDATION_CACHE_SIZE),
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
    )


schema = build_schema()
