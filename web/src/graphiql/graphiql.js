// GraphiQL (development only), served by the service itself: queries and mutations go to
// /graphql over HTTP with the session cookie, subscriptions over a WebSocket on the same path.
// The headers editor's JSON goes with both: as HTTP headers, and as the socket's
// `connectionParams` (its `{"Authorization": "Bearer …"}` authenticates the socket).
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

import "graphiql/graphiql.css";
import "./graphiql.css";

const url = new URL("/graphql", window.location.href);
const socketUrl = new URL(url);
socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

// One socket for the headers last used; other headers open another. The toolkit hands
// per-request headers to HTTP only, never to a `wsClient`.
let socket = null;

function socketFor(headers) {
  const connectionParams = headers ?? {};
  const key = JSON.stringify(connectionParams);
  if (socket?.key !== key) {
    socket?.client.dispose();
    socket = {
      key,
      // No retries: a refusal (4403 and its reason) is shown at once, not after half a minute
      // of graphql-ws's back-off behind a spinner.
      client: createClient({ url: socketUrl.href, lazy: true, connectionParams, retryAttempts: 0 }),
    };
  }
  return socket.client;
}

function fetcher(params, options) {
  const fetchOne = createGraphiQLFetcher({
    url: url.href,
    wsClient: socketFor(options?.headers),
  });
  return fetchOne(params, options);
}

const DEFAULT_QUERY = `# ハローワーク 求人者マイページ GraphQL API
# Ctrl-Enter runs the query; the schema is in the Docs pane.
# Subscriptions: put {"Authorization": "Bearer <token>"} in the headers editor.

{ termsDocuments { kind version title } }
`;

createRoot(document.getElementById("graphiql")).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
  }),
);
