"""The form's items a selection on `Posting` shows (`app.schema.postings.content_items`), read
from the document's own nodes, and kept per field of a document (`_PerField`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from app.schema.postings import Fragments, _page_items, _PerField, content_items


def _field(document: str, *path: str) -> tuple[list[FieldNode], dict[str, FragmentDefinitionNode]]:
    """The nodes of the field at `path` (through inline fragments and fragment spreads, as the
    executor merges them) and the document's fragments."""
    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    nodes: list[FieldNode] = []
    level = [operation]
    for name in path:
        nodes = []
        pending = [s for node in level for s in node.selection_set.selections]
        while pending:
            selection = pending.pop(0)
            if isinstance(selection, FieldNode):
                if selection.name.value == name:
                    nodes.append(selection)
            elif hasattr(selection, "type_condition") and selection.selection_set is not None:
                pending.extend(selection.selection_set.selections)
            else:
                pending.extend(fragments[selection.name.value].selection_set.selections)
        level = nodes
    return nodes, fragments


def test_the_items_under_content_through_fragments() -> None:
    nodes, fragments = _field(
        """{ application { posting { id ...P ... on Posting { content { __typename jobTitle } } } }
        } fragment P on Posting { postingNumber content { ...C } }
        fragment C on PostingContent { workStyle @include(if: false) }""",
        "application",
        "posting",
    )
    assert content_items(nodes, fragments) == {"job_title", "work_style"}


def test_a_field_of_the_same_name_merged_from_two_places() -> None:
    nodes, fragments = _field(
        "{ application { posting { content { jobTitle } } posting { content { workStyle } } } }",
        "application",
        "posting",
    )
    assert len(nodes) == 2
    assert content_items(nodes, fragments) == {"job_title", "work_style"}


def test_no_content_reads_no_item_and_the_whole_form_reads_every_one() -> None:
    assert content_items(*_field("{ a { posting { id } } }", "a", "posting")) == frozenset()
    assert content_items(*_field("{ a { posting { check { ok } } } }", "a", "posting")) is None
    # A field of `content` that is not an item of the form (or one this code does not know).
    unknown = _field("{ a { posting { content { notAnItem } } } }", "a", "posting")
    assert content_items(*unknown) is None


def test_a_page_of_postings_unites_its_nodes() -> None:
    nodes, fragments = _field(
        """{ postings { pageInfo { hasNextPage } edges { node { content { jobTitle } } }
        ...E } } fragment E on PostingConnection { edges { node { content { wageForm } } } }""",
        "postings",
    )
    assert _page_items(nodes, fragments) == {"job_title", "wage_form"}
    whole = _field("{ postings { edges { node { check { ok } } } } }", "postings")
    assert _page_items(*whole) is None


@dataclass
class _RawInfo:
    field_nodes: list[FieldNode]
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)


@dataclass
class _Info:
    _raw_info: _RawInfo


def test_worked_out_once_per_field_of_a_document() -> None:
    seen: list[tuple[FieldNode, ...]] = []

    def compute(nodes: Sequence[FieldNode], fragments: Fragments) -> frozenset[str] | None:
        seen.append(tuple(nodes))
        return content_items(nodes, fragments)

    items = _PerField(compute, size=2)
    document = "{ a { posting { content { jobTitle } } } }"
    first = _field(document, "a", "posting")
    # A fresh list of the same nodes, as each object of a list gets from the executor.
    assert items(_Info(_RawInfo(list(first[0]), first[1]))) == {"job_title"}
    assert items(_Info(_RawInfo(list(first[0]), first[1]))) == {"job_title"}
    assert len(seen) == 1
    # The same text parsed again is other nodes: worked out again, and right.
    again = _field(document.replace("jobTitle", "workStyle"), "a", "posting")
    assert items(_Info(_RawInfo(*again))) == {"work_style"}
    assert len(seen) == 2
    # Past its size the oldest field is dropped (and worked out again when asked).
    third = _field(document, "a", "posting")
    items(_Info(_RawInfo(*third)))
    items(_Info(_RawInfo(*first)))
    assert len(seen) == 4
