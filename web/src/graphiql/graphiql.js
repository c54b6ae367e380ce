// GraphiQL (development only), served by the service itself: queries and mutations go to
// /graphql over HTTP with the session cookie, subscriptions over a WebSocket on the same path.
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

const fetcher = createGraphiQLFetcher({
  url: url.href,
  // The browser sends the session cookie with the WebSocket; `connection_init` carries
  // a bearer token only when one is typed into the headers editor.
  wsClient: createClient({ url: socketUrl.href, lazy: true }),
});

const DEFAULT_QUERY = `# ハローワーク 求人者マイページ GraphQL API
# Ctrl-Enter runs the query; the schema is in the Docs pane.

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
