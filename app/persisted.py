"""Persisted documents: operations sent by an id instead of their text.

Two ways, both checked by `PersistedDocuments.resolve` before an operation runs (over HTTP and
over a WebSocket alike):

- Automatic persisted queries (APQ, Apollo's protocol): `extensions.persistedQuery` is
  `{"version": 1, "sha256Hash": <hex SHA-256 of the document's UTF-8 text>}`. A hash the server
  does not know, sent without the text, is answered `PersistedQueryNotFound`
  (PERSISTED_QUERY_NOT_FOUND, HTTP 200 as Apollo Server answers it); the client sends it again
  with the text, whose hash must match, and the text is kept: in Redis when `REDIS_URL` is set
  (shared by every process, each key with a TTL), else in this process's memory (the least
  recently used dropped past APQ_CACHE_SIZE documents or APQ_CACHE_BYTES).
- Trusted documents: manifests in the format graphql-codegen's client preset writes
  (`persisted-documents.json`, an object from a document's id to its text): always the one of
  the service's own pages (`app/static/persisted-documents.json`, written by `web/build.mjs`),
  and those named by TRUSTED_DOCUMENTS_MANIFESTS. A request names one by `documentId` (at the
  top level of the request) or by the APQ hash.

TRUSTED_DOCUMENTS says what runs: `allow` (the default) any document, and the manifests' ones
by id; `only` nothing but the manifests' documents, by id or as their exact text, as OWASP
advises for an API that serves its own clients only (the APQ store is not used then); `off`
no manifest, APQ alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.settings import ConfigurationError, Settings, TrustedDocuments
from app.transport import BAD_REQUEST, Refused

log = logging.getLogger(__name__)

BUILT_IN_MANIFEST = Path(__file__).parent / "static" / "persisted-documents.json"
"""The documents of the service's own pages (the dashboard and the counter's page)."""

KEY_PREFIX = "hellowork:apq:"

MAX_STORED_BYTES = 128 * 1024
"""The largest document kept for APQ; a larger one still runs, sent with its text each time.
A document of 10,000 tokens (the most production allows) is about 100 KB at most."""

MAX_DOCUMENT_ID_LENGTH = 256

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
"""Apollo's code: the hash is not known; send the document again with its text."""
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
"""Apollo Router's code: with TRUSTED_DOCUMENTS=only, an id no manifest has."""
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
"""Apollo Router's code: with TRUSTED_DOCUMENTS=only, a document text no manifest has."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def document_hash(text: str) -> str:
    """The id of a document in APQ and in this service's manifest: its SHA-256, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def _document_key(document_id: str) -> str:
    """A manifest id as looked up: `sha256:<hex>` (the GraphQL over HTTP spelling) as the bare
    hex, SHA-256 hex in lower case; any other id (e.g. codegen's default SHA-1) as given."""
    bare = document_id.removeprefix("sha256:")
    return bare.lower() if _SHA256_HEX.fullmatch(bare.lower()) else document_id


@dataclass(frozen=True)
class Manifest:
    """The trusted documents: by id, and the set of their texts."""

    documents: Mapping[str, str]
    texts: frozenset[str]

    @classmethod
    def load(cls, paths: Iterable[Path], *, built_in: Path | None = BUILT_IN_MANIFEST) -> Manifest:
        """The documents of `built_in` (when the file is there) and of every one of `paths`;
        `ConfigurationError` for a file that cannot be read, is not an object of strings, holds
        a SHA-256 id that is not its document's, or gives another text to an id already read."""
        documents: dict[str, str] = {}
        files = list(paths)
        if built_in is not None:
            if built_in.is_file():
                files.insert(0, built_in)
            else:
                # Only the pages need it: the API runs without; the pages fail loudly with
                # TRUSTED_DOCUMENTS=only, and `.ci/web` fails on a build that lacks it.
                log.warning("no manifest of the pages' documents at %s", built_in)
        for path in files:
            for document_id, text in _read_manifest(path).items():
                key = _document_key(document_id)
                if _SHA256_HEX.fullmatch(key) and key != document_hash(text):
                    raise ConfigurationError(
                        f"{path}: {document_id} is not the SHA-256 of its document"
                    )
                if documents.setdefault(key, text) != text:
                    raise ConfigurationError(f"{path}: {document_id} has another document already")
        return cls(documents=documents, texts=frozenset(documents.values()))


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigurationError(f"cannot read the trusted documents of {path}: {exc}") from exc
    if not (
        isinstance(data, dict)
        and all(isinstance(key, str) and isinstance(text, str) for key, text in data.items())
    ):
        raise ConfigurationError(
            f"{path} must be a JSON object from document ids to document texts"
        )
    return data


class DocumentStore(Protocol):
    """Where APQ keeps the documents it was sent, by hash."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, text: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """Documents of this process only, the least recently used dropped first once there are
    more than `max_documents` or their texts take more than `max_bytes` (UTF-8)."""

    def __init__(self, max_documents: int, max_bytes: int) -> None:
        self.max_documents = max_documents
        self.max_bytes = max_bytes
        self._documents: OrderedDict[str, str] = OrderedDict()
        self.total_bytes = 0

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, key: object) -> bool:
        return key in self._documents

    async def get(self, key: str) -> str | None:
        text = self._documents.get(key)
        if text is not None:
            self._documents.move_to_end(key)
        return text

    async def put(self, key: str, text: str) -> None:
        size = len(text.encode())
        if size > self.max_bytes or self.max_documents < 1:
            return
        old = self._documents.pop(key, None)
        if old is not None:
            self.total_bytes -= len(old.encode())
        self._documents[key] = text
        self.total_bytes += size
        while len(self._documents) > self.max_documents or self.total_bytes > self.max_bytes:
            _, dropped = self._documents.popitem(last=False)
            self.total_bytes -= len(dropped.encode())

    async def aclose(self) -> None:
        self._documents.clear()
        self.total_bytes = 0


class RedisStore:
    """Documents in Redis, shared by every process, each for `ttl_seconds` after it was last
    sent with its text; in memory while Redis does not answer.

    As with the throttle's counters, a request never fails because Redis is away: the
    documents are kept in this process's memory instead, the outage is logged once, and Redis
    is asked again `retry_seconds` later.
    """

    def __init__(
        self,
        url: str,
        ttl_seconds: int,
        fallback: MemoryStore,
        *,
        timeout: float = 0.5,
        retry_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.fallback = fallback
        self._retry_seconds = retry_seconds
        self._down_until: float | None = None
        # Short timeouts and no retries: a Redis that hangs must not hold up requests.
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    @property
    def available(self) -> bool:
        """False while the documents are kept in memory because Redis did not answer."""
        return self._down_until is None

    async def get(self, key: str) -> str | None:
        if self._is_down():
            return await self.fallback.get(key)
        try:
            value = await self._redis.get(KEY_PREFIX + key)
        except (RedisError, OSError) as exc:
            self._went_down(exc)
            return await self.fallback.get(key)
        self._answered()
        return value.decode() if isinstance(value, bytes) else None

    async def put(self, key: str, text: str) -> None:
        if self._is_down():
            await self.fallback.put(key, text)
            return
        try:
            await self._redis.set(KEY_PREFIX + key, text.encode(), ex=self.ttl_seconds)
        except (RedisError, OSError) as exc:
            self._went_down(exc)
            await self.fallback.put(key, text)
            return
        self._answered()

    def _is_down(self) -> bool:
        return self._down_until is not None and time.monotonic() < self._down_until

    def _went_down(self, exc: Exception) -> None:
        if self._down_until is None:
            log.warning("Redis at %s does not answer (%s); APQ documents in memory", self.url, exc)
        self._down_until = time.monotonic() + self._retry_seconds

    def _answered(self) -> None:
        if self._down_until is not None:
            log.info("Redis at %s answers again; APQ documents in Redis", self.url)
            self._down_until = None

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self.fallback.aclose()


class PersistedDocuments:
    """What a request by id runs, and whether a request may run what it sends."""

    def __init__(self, mode: TrustedDocuments, manifest: Manifest, store: DocumentStore) -> None:
        self.mode = mode
        self.manifest = manifest
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedDocuments:
        memory = MemoryStore(settings.apq_cache_size, settings.apq_cache_bytes)
        store: DocumentStore = (
            RedisStore(settings.redis_url, settings.apq_ttl_seconds, memory)
            if settings.redis_url
            else memory
        )
        manifest = (
            Manifest(documents={}, texts=frozenset())
            if settings.trusted_documents == "off"
            else Manifest.load(settings.trusted_documents_manifests)
        )
        return cls(settings.trusted_documents, manifest, store)

    async def resolve(
        self, *, query: str | None, extensions: Mapping[str, Any] | None, document_id: str | None
    ) -> str | None:
        """The document to run for a request that sent `query` (or none), `extensions` and
        `documentId`; `Refused` when it names a document that is not known, sends a text that
        is not its hash's, or (TRUSTED_DOCUMENTS=only) sends a document no manifest has."""
        key, by_apq = _requested_id(extensions, document_id)
        only = self.mode == "only"
        if key is None:
            if only and query is not None and query not in self.manifest.texts:
                raise _not_trusted()
            return query
        if query is None:
            text = self.manifest.documents.get(key)
            if text is None and not only:
                text = await self.store.get(key)
            if text is not None:
                return text
            if only:
                raise Refused(
                    "この ID の操作は信頼済みの操作（trusted documents）にありません。"
                    "このサーバーは登録済みの操作だけを実行します。",
                    code=PERSISTED_QUERY_NOT_IN_LIST,
                    status=404,
                )
            # Apollo's clients look for this message (older ones) or this code, and resend
            # the operation with its text; it is the protocol's word, not one for people.
            raise Refused("PersistedQueryNotFound", code=PERSISTED_QUERY_NOT_FOUND, status=200)
        if not by_apq:
            raise Refused(
                "documentId と query は同時に指定できません。どちらか一方を送ってください。"
            )
        if document_hash(query) != key:
            raise Refused(
                "persistedQuery の sha256Hash が query の SHA-256 と一致しません。",
                reason="provided sha does not match query",
            )
        if only:
            if query not in self.manifest.texts:
                raise _not_trusted()
        elif key not in self.manifest.documents and len(query.encode()) <= MAX_STORED_BYTES:
            await self.store.put(key, query)
        return query

    async def aclose(self) -> None:
        await self.store.aclose()


def _not_trusted() -> Refused:
    return Refused(
        "このサーバーは信頼済みの操作（trusted documents）だけを実行します。"
        "この操作は登録されていません。",
        code=QUERY_NOT_IN_SAFELIST,
        status=403,
    )


def _requested_id(
    extensions: Mapping[str, Any] | None, document_id: str | None
) -> tuple[str | None, bool]:
    """The id the request names (None without one), and whether it came as an APQ hash."""
    persisted = (extensions or {}).get("persistedQuery")
    apq_key: str | None = None
    if persisted is not None:
        if not isinstance(persisted, dict):
            raise _bad_persisted_query()
        version = persisted.get("version")
        if version != 1 or isinstance(version, bool):
            raise Refused(
                "persistedQuery の version は 1 だけに対応しています。",
                code=BAD_REQUEST,
                reason="Unsupported persisted query version",
            )
        sha256_hash = persisted.get("sha256Hash")
        if not (isinstance(sha256_hash, str) and _SHA256_HEX.fullmatch(sha256_hash.lower())):
            raise _bad_persisted_query()
        apq_key = sha256_hash.lower()
    if document_id is None:
        return apq_key, apq_key is not None
    if not document_id or len(document_id) > MAX_DOCUMENT_ID_LENGTH:
        raise Refused(f"documentId は1文字以上{MAX_DOCUMENT_ID_LENGTH}文字以下で指定してください。")
    key = _document_key(document_id)
    if apq_key is not None and key != apq_key:
        raise Refused("documentId と persistedQuery の sha256Hash が一致しません。")
    return key, apq_key is not None


def _bad_persisted_query() -> Refused:
    return Refused(
        "extensions.persistedQuery は "
        '{"version": 1, "sha256Hash": "<SHA-256 を16進数64桁で>"} の形で指定してください。'
    )
