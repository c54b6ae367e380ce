// Automatic persisted queries (Apollo's protocol; the service's side is app/persisted.py): an
// operation is sent by the SHA-256 of its text. The service trusts every operation of these
// pages (web/build.mjs writes them into its manifest), so it knows them by hash even with
// TRUSTED_DOCUMENTS=only; any other hash it does not know yet is answered
// PERSISTED_QUERY_NOT_FOUND, and the operation is sent again with its text. Without WebCrypto
// (a page served over plain HTTP from a host other than localhost) the text goes at once.

const hashes = new Map();

async function documentHash(query) {
  if (!globalThis.crypto?.subtle) return null;
  let hash = hashes.get(query);
  if (!hash) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
    hash = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join(
      "",
    );
    hashes.set(query, hash);
  }
  return hash;
}

const notFound = (body) =>
  body.errors?.some((error) => error.extensions?.code === "PERSISTED_QUERY_NOT_FOUND");

// The answer to `query` with `variables`; `send(request)` posts one request body and resolves
// to the decoded answer.
export async function persistedRequest(send, query, variables) {
  const hash = await documentHash(query);
  if (!hash) return send({ query, variables });
  const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
  const body = await send({ variables, extensions });
  return notFound(body) ? send({ query, variables, extensions }) : body;
}
