// graphql-codegen over the API's documents: TypeScript types of the schema and of every
// operation of the guides, the README and the Node client (clients/documents/, written from
// them by extract-documents.mjs). From clients/: `npm ci`, then `npm run codegen`.
//
// The output goes to generated/ (ignored by git), or to $CODEGEN_OUT (CI writes to a
// temporary folder). strictScalars: a custom scalar added to the schema without a mapping
// below fails the generation instead of becoming `any`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const out = (process.env.CODEGEN_OUT ?? "generated").replace(/\/?$/, "/");

// Every custom scalar of schema.graphql, as the JSON answers carry it.
const scalars = {
  Date: "string", // 2026-12-01: a date in Japan (Asia/Tokyo)
  DateTime: "string", // ISO 8601 with its offset (UTC)
  Yen: "number", // whole yen: beyond 32 bits, within a double's exact integers
  Upload: "File", // a file of a multipart request (GraphQL multipart request spec)
  JSON: "unknown",
};

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["documents/**/*.graphql"],
  overwrite: true,
  config: { strictScalars: true, scalars, useTypeImports: true },
  generates: {
    // Every type of the schema (Posting, PostingStatus, …), for code that names them.
    [`${out}schema.ts`]: {
      plugins: ["typescript"],
      config: { enumsAsTypes: true },
    },
    // Each operation's result and variables (NodeViewerQuery, NodeViewerQueryVariables, …),
    // with the enums and inputs they use.
    [`${out}operations.ts`]: {
      plugins: ["typescript-operations"],
    },
  },
};

export default config;
