"""The GraphQL documents that frontend developers copy and that their tools read: every
operation of the guides (`docs/*.md`), of the README and of the third-party clients
(`clients/node/*.mjs`).

Tools such as graphql-codegen and Apollo Client need of them what graphql-core's validation
does not check:

- each fenced `graphql` block (and each `subscribe` message of a `json` block) is one named
  operation, with the fragments it spreads;
- a name names one operation: the same operation shown again (a retry, its WebSocket message)
  is fine, another selection under the same name is not; no name is also one of the pages'
  (`web/src`, whose operations are `Dashboard…` and `Counter…`);
- every object that has an `id` is selected with it (Apollo's cache normalises by it): directly,
  through a fragment on its type, or on an interface it implements; for an interface or a union,
  each member the selection asks something of;
- a client's operation is a `gql` template, the tag graphql-codegen's document scanner finds.

`clients/extract-documents.mjs` copies the same operations into `clients/documents/`, which
graphql-codegen and graphql-inspector read (`.ci/documents`); the last test checks that copy
against the sources.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    is_abstract_type,
    print_ast,
    visit,
)

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "clients" / "documents"


@dataclass(frozen=True)
class Document:
    where: str
    """`path:line` of the block, the message or the template."""
    text: str


# --- Reading the sources -------------------------------------------------------------------------

FENCE = re.compile(r"^( {0,3})```(\w*)\s*$")


def fenced_blocks(text: str) -> list[tuple[str, str, int]]:
    """Each fenced block as (language, content, line of its first content line, from 1); a
    block may be indented (a list item's), its content dedented by the fence's indentation."""
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening:
            indent = len(opening.group(1))
            close = next(
                i for i in range(index + 1, len(lines)) if lines[i].strip().startswith("```")
            )
            content = "\n".join(line[indent:] for line in lines[index + 1 : close])
            blocks.append((opening.group(2), content, index + 2))
            index = close
        index += 1
    return blocks


def json_values(text: str) -> list[object]:
    """The JSON values of a block, one or several in a row (graphql-transport-ws messages)."""
    decoder = json.JSONDecoder()
    values = []
    position = 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


def markdown_documents(path: Path) -> list[Document]:
    name = path.relative_to(ROOT).as_posix()
    documents = []
    for language, content, line in fenced_blocks(path.read_text(encoding="utf-8")):
        if language == "graphql":
            documents.append(Document(f"{name}:{line}", content))
        elif language == "json":
            for value in json_values(content):
                if isinstance(value, dict) and value.get("type") == "subscribe":
                    documents.append(Document(f"{name}:{line}", value["payload"]["query"]))
    return documents


TEMPLATE = re.compile(r"(\bgql\s*)?`([^`]*)`")
OPERATION_START = re.compile(
    r"\s*(?:(?:query|mutation|subscription)\s*[A-Za-z_]\w*\s*[({@]|fragment\s+\w+\s+on\b)"
)


def script_documents(path: Path) -> tuple[list[Document], list[Document]]:
    """The `gql` templates of a script, and its untagged templates that hold an operation."""
    name = path.relative_to(ROOT).as_posix()
    source = path.read_text(encoding="utf-8")
    tagged, untagged = [], []
    for match in TEMPLATE.finditer(source):
        document = Document(f"{name}:{source.count(chr(10), 0, match.start()) + 1}", match[2])
        if match[1]:
            tagged.append(document)
        elif OPERATION_START.match(match[2]):
            untagged.append(document)
    return tagged, untagged


def markdown_sources() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def script_sources() -> list[Path]:
    return sorted((ROOT / "clients" / "node").glob("*.mjs"))


def all_documents() -> list[Document]:
    documents = [d for path in markdown_sources() for d in markdown_documents(path)]
    return documents + [d for path in script_sources() for d in script_documents(path)[0]]


@cache
def schema() -> GraphQLSchema:
    return graphql.build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


# --- The rules -----------------------------------------------------------------------------------


def operations_of(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def shape_problems(documents: list[Document]) -> list[str]:
    """Blocks that are not one named operation, and names given to different operations."""
    problems = []
    by_name: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for document in documents:
        operations = operations_of(graphql.parse(document.text))
        if len(operations) != 1:
            problems.append(f"{document.where}: {len(operations)} operations in one block")
        for operation in operations:
            if operation.name is None:
                problems.append(f"{document.where}: an anonymous {operation.operation.value}")
            else:
                by_name[operation.name.value][print_ast(operation)].append(document.where)
    for name, variants in by_name.items():
        if len(variants) > 1:
            places = "; ".join(", ".join(wheres) for wheres in variants.values())
            problems.append(f"{name} names {len(variants)} different operations: {places}")
    return problems


def applies(schema: GraphQLSchema, condition: str, member: GraphQLObjectType) -> bool:
    """Whether a fragment on `condition` applies to an object of type `member`."""
    condition_type = schema.get_type(condition)
    return condition_type is member or (
        is_abstract_type(condition_type) and schema.is_sub_type(condition_type, member)
    )


def fields_for(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    member: GraphQLObjectType,
    fragments: dict[str, FragmentDefinitionNode],
) -> set[str]:
    """The fields a selection asks of an object of type `member`, fragments expanded."""
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or applies(schema, condition.name.value, member):
                names |= fields_for(schema, selection.selection_set, member, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment and applies(schema, fragment.type_condition.name.value, member):
                names |= fields_for(schema, fragment.selection_set, member, fragments)
    return names


def ids_left_out(schema: GraphQLSchema, document: Document) -> list[str]:
    """`where: Parent.field: Type` for each selection of an object type having an `id` that
    does not ask for it (for an interface or a union, of each member it asks something of)."""
    tree = graphql.parse(document.text)
    fragments = {d.name.value: d for d in tree.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    type_info = TypeInfo(schema)
    missing: list[str] = []

    class Check(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            output = type_info.get_type()
            if node.selection_set is None or output is None:
                return
            named = get_named_type(output)
            if named in roots:
                return
            if isinstance(named, GraphQLObjectType):
                members = [named]
            elif is_abstract_type(named):
                members = list(schema.get_possible_types(named))
            else:
                return
            parent = type_info.get_parent_type()
            for member in members:
                if "id" not in member.fields:
                    continue
                asked = fields_for(schema, node.selection_set, member, fragments)
                if (member is named or asked - {"__typename"}) and "id" not in asked:
                    at = f"{parent.name}.{node.name.value}" if parent else node.name.value
                    missing.append(f"{document.where}: {at} selects {member.name} without id")

    visit(tree, TypeInfoVisitor(type_info, Check()))
    return missing


def problems_of(schema: GraphQLSchema, documents: list[Document]) -> list[str]:
    problems = shape_problems(documents)
    for document in documents:
        errors = graphql.validate(schema, graphql.parse(document.text))
        problems += [f"{document.where}: {error.message}" for error in errors]
        if not errors:
            problems += ids_left_out(schema, document)
    return problems


# --- The documents of the repository -------------------------------------------------------------


def test_every_operation_is_named_once_valid_and_selects_every_id() -> None:
    documents = all_documents()
    assert len(documents) > 80
    assert {d.where.split(":")[0] for d in documents} >= {
        "README.md",
        "docs/account-opening.md",
        "docs/counter.md",
        "clients/node/flow.mjs",
    }
    problems = problems_of(schema(), documents)
    assert not problems, "\n".join(problems)


OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+([A-Za-z_]\w*)")


def test_no_name_is_also_one_of_the_pages() -> None:
    """The server's log lines name the operation: the pages' names (web/src) are their own."""
    pages = {
        name
        for path in (ROOT / "web" / "src").rglob("*.js")
        for name in OPERATION_NAME.findall(path.read_text(encoding="utf-8"))
    }
    assert {"DashboardHome", "CounterQueue"} & pages
    names = {
        operation.name.value
        for document in all_documents()
        for operation in operations_of(graphql.parse(document.text))
        if operation.name
    }
    assert names & pages == set()


def test_the_clients_operations_are_gql_templates() -> None:
    """An untagged template is invisible to graphql-codegen's document scanner."""
    untagged = [d.where for path in script_sources() for d in script_documents(path)[1]]
    assert untagged == []


def test_clients_documents_hold_the_operations_of_the_sources() -> None:
    """`clients/documents/` is what `node clients/extract-documents.mjs` writes from the
    sources (`.ci/documents` checks it byte for byte): here, the same operations."""
    generated = sorted(GENERATED.rglob("*.graphql"))
    assert generated, "run `node clients/extract-documents.mjs`"
    written: list[str] = []
    for path in generated:
        tree = graphql.parse(path.read_text(encoding="utf-8"))
        written += [print_ast(operation) for operation in operations_of(tree)]
    assert len(set(written)) == len(written), "an operation is written twice"
    expected = {
        print_ast(operation)
        for document in all_documents()
        for operation in operations_of(graphql.parse(document.text))
    }
    stale = sorted(set(written) - expected)
    missing = sorted(expected - set(written))
    assert (stale, missing) == ([], []), "run `node clients/extract-documents.mjs`"


# --- The rules themselves, on a small schema -----------------------------------------------------

SCHEMA = graphql.build_schema(
    """
    interface Node { id: ID! }
    type Posting implements Node { id: ID! title: String! office: Office! }
    type Office { id: ID! name: String! }
    type Image { id: ID! url: String! }
    type Banner { text: String! }
    union Item = Posting | Image | Banner
    type Query { node(id: ID!): Node, posting: Posting, items: [Item!]! }
    """
)


def check(*texts: str) -> list[str]:
    return problems_of(SCHEMA, [Document(f"block{i}", t) for i, t in enumerate(texts)])


def test_an_anonymous_operation_or_two_in_a_block_fails() -> None:
    assert check("{ posting { id } }") == ["block0: an anonymous query"]
    assert check("query A { posting { id } } query B { posting { id title } }") == [
        "block0: 2 operations in one block"
    ]
    assert check("query A { posting { ...P } } fragment P on Posting { id }") == []


def test_a_name_given_to_another_selection_fails_and_the_same_operation_again_does_not() -> None:
    assert check("query A { posting { id } }", "query A {\n  posting { id }\n}") == []
    assert check("query A { posting { id } }", "query A { posting { id title } }") == [
        "A names 2 different operations: block0; block1"
    ]


def test_an_object_with_an_id_must_be_selected_with_it() -> None:
    assert check("query A { posting { title } }") == [
        "block0: Query.posting selects Posting without id"
    ]
    assert check("query A { posting { id office { name } } }") == [
        "block0: Posting.office selects Office without id"
    ]
    # Through a fragment spread, an inline fragment, or on the interface.
    assert check("query A { posting { ...P title } } fragment P on Posting { id }") == []
    assert check("query A { posting { ... on Posting { id } title } }") == []
    assert check("query A { posting { ... on Node { id } title } }") == []
    assert check("query A { node(id: 1) { id ... on Posting { title } } }") == []
    assert check("query A { node(id: 1) { ... on Posting { title } } }") == [
        "block0: Query.node selects Posting without id"
    ]
    # A fragment's own fields are checked where it is spread.
    assert check("query A { posting { id ...O } } fragment O on Posting { office { name } }") == [
        "block0: Posting.office selects Office without id"
    ]


def test_each_member_of_a_union_asked_something_of_must_have_its_id() -> None:
    assert check("query A { items { __typename ... on Posting { id title } } }") == []
    assert check("query A { items { __typename ... on Banner { text } } }") == []
    assert check("query A { items { ... on Posting { id } ... on Image { url } } }") == [
        "block0: Query.items selects Image without id"
    ]
