// The employer's account opening and a live `messageReceived` subscription, from Node.
//
// Queries and mutations go through Apollo Client (HttpLink to /graphql); the subscription
// through graphql-ws (graphql-transport-ws) on the `ws` WebSocket. The authentication key
// and the one-time password are read from the maildir the service writes to.
//
// Every operation is a `gql` template, so that graphql-codegen's document scanner finds it
// (clients/extract-documents.mjs copies them into clients/documents/), and is named `Node…`:
// the server's log lines tell this client's requests apart from the guides' and the pages'.
//
// Environment:
//   GRAPHQL_URL            the service's endpoint, e.g. http://127.0.0.1:8000/graphql
//   MAIL_DIR               the maildir the service writes to (its MAIL_URL), e.g. var/mail
//   ACCOUNT_CREATION_CODE  the code issued at the counter (アカウント作成コード)
//   ESTABLISHMENT_NUMBER   default 1301-123456-7 (the demo establishment)
//   PHONE_NUMBER           default 03-3812-0001
//   EMPLOYER_EMAIL         default hr@care.example.jp
//   EMPLOYER_PASSWORD      default Kyujin#2026
//   TIMEOUT_SECONDS        default 60: the whole run, the wait for the message included
//
// Stdout carries one JSON object per line: {"event":"subscribed"} once the subscribe message
// is on the socket, then {"event":"messageReceived", "cursor": ..., "message": {...}} with the
// first message received; progress and errors go to stderr. Exit status 0 after that message;
// 1 on any failure or on the timeout.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const TERMS = gql`
  query NodeTerms {
    termsDocuments {
      id
      kind
      version
    }
  }
`;

const REGISTRATION_REQUEST = gql`
  mutation NodeRegistrationRequest($input: EmployerRegistrationRequestInput!) {
    employerRegistrationRequest(input: $input) {
      authKeyExpiresAt
      errors {
        field
        code
        message
      }
    }
  }
`;

const REGISTRATION_COMPLETE = gql`
  mutation NodeRegistrationComplete($input: EmployerRegistrationCompleteInput!) {
    employerRegistrationComplete(input: $input) {
      establishment {
        id
        name
      }
      errors {
        field
        code
        message
      }
    }
  }
`;

const LOGIN = gql`
  mutation NodeLogin($input: LoginInput!) {
    login(input: $input) {
      session {
        token
      }
      otpChallenge {
        id
        expiresAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`;

const VERIFY_OTP = gql`
  mutation NodeVerifyOtp($input: LoginVerifyOtpInput!) {
    loginVerifyOtp(input: $input) {
      session {
        token
        expiresAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`;

const VIEWER = gql`
  query NodeViewer {
    eventCursor
    viewer {
      id
      portal
      email
      establishment {
        id
        establishmentNumber
        name
      }
    }
  }
`;

const MESSAGE_RECEIVED = gql`
  subscription NodeMessageReceived($after: String) {
    messageReceived(after: $after) {
      cursor
      message {
        id
        body
        sender
        createdAt
      }
    }
  }
`;

const MAIL_WAIT_MS = 10_000;

class FlowError extends Error {}

let currentStep = "starting";

function step(description) {
  currentStep = description;
  process.stderr.write(`flow: ${description}\n`);
}

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function setting(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (!value) {
    throw new FlowError(`${name} is not set`);
  }
  return value;
}

// --- Mail: the service's maildir, read the way tests/conftest.py reads it -----------------

/** Headers (lower-cased names, folded lines joined) and the decoded text body of a mail. */
function parseMail(raw) {
  // Latin-1 maps every byte to one character, so string offsets are byte offsets.
  const text = raw.toString("latin1");
  const blank = /\r?\n\r?\n/.exec(text);
  const head = blank ? text.slice(0, blank.index) : text;
  const bodyStart = blank ? blank.index + blank[0].length : text.length;
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  const charset = /charset="?([^";\s]+)"?/i.exec(headers.get("content-type") ?? "")?.[1] ?? "utf-8";
  const body = raw.subarray(bodyStart);
  let bytes;
  if (encoding === "base64") {
    bytes = Buffer.from(body.toString("latin1").replace(/\s+/g, ""), "base64");
  } else if (encoding === "quoted-printable") {
    bytes = Buffer.from(
      body
        .toString("latin1")
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
      "latin1",
    );
  } else {
    bytes = body;
  }
  return { headers, body: new TextDecoder(charset).decode(bytes) };
}

/** Every mail file of the maildir (delivered ones in new/, read ones in cur/). */
function mailFiles(mailDir) {
  const files = [];
  for (const folder of ["new", "cur"]) {
    let names;
    try {
      names = readdirSync(join(mailDir, folder));
    } catch (error) {
      if (error.code === "ENOENT") continue;
      throw error;
    }
    for (const name of names) {
      if (!name.startsWith(".")) files.push(join(mailDir, folder, name));
    }
  }
  return files;
}

/**
 * Runs `action`, then waits for a mail to `address` that arrived meanwhile and whose body
 * matches `pattern`; returns the pattern's first group (of the newest such mail).
 */
async function fromMailAfter(mailDir, address, pattern, action) {
  const before = new Set(mailFiles(mailDir));
  await action();
  const deadline = Date.now() + MAIL_WAIT_MS;
  for (;;) {
    const found = [];
    for (const path of mailFiles(mailDir)) {
      if (before.has(path)) continue;
      const mail = parseMail(readFileSync(path));
      const match = pattern.exec(mail.body);
      if (mail.headers.get("to")?.toLowerCase() === address.toLowerCase() && match) {
        found.push({ mtime: statSync(path, { bigint: true }).mtimeNs, value: match[1] });
      }
    }
    if (found.length > 0) {
      found.sort((a, b) => (a.mtime < b.mtime ? -1 : a.mtime > b.mtime ? 1 : 0));
      return found[found.length - 1].value;
    }
    if (Date.now() > deadline) {
      throw new FlowError(`no new mail to ${address} matching ${pattern} in ${mailDir}`);
    }
    await sleep(100);
  }
}

// --- GraphQL over HTTP: Apollo Client ----------------------------------------------------

function apolloClient(graphqlUrl, session) {
  // Node's fetch keeps no cookies, so every request is either anonymous or carries the
  // bearer token: the service's CSRF guard only refuses cookie-authenticated writes.
  const authorization = new ApolloLink((operation, forward) => {
    if (session.token) {
      operation.setContext(({ headers = {} }) => ({
        headers: { ...headers, authorization: `Bearer ${session.token}` },
      }));
    }
    return forward(operation);
  });
  return new ApolloClient({
    link: ApolloLink.from([authorization, new HttpLink({ uri: graphqlUrl })]),
    cache: new InMemoryCache(),
    defaultOptions: {
      query: { fetchPolicy: "no-cache" },
      mutate: { fetchPolicy: "no-cache" },
    },
  });
}

/** The mutation's payload; throws on top-level errors (Apollo's default) and on user errors. */
async function mutate(client, mutation, field, input) {
  const { data } = await client.mutate({ mutation, variables: { input } });
  const payload = data[field];
  if (payload.errors.length > 0) {
    const errors = payload.errors.map((e) => `${e.field ?? "-"} ${e.code}: ${e.message}`);
    throw new FlowError(`${field} answered errors: ${errors.join("; ")}`);
  }
  return payload;
}

// --- The flow ------------------------------------------------------------------------------

async function openAccountAndLogIn(graphqlUrl, mailDir, employer) {
  const session = { token: null };
  const client = apolloClient(graphqlUrl, session);

  step("reading the current terms versions");
  const { data: terms } = await client.query({ query: TERMS });
  const version = (kind) => {
    const document = terms.termsDocuments.find((d) => d.kind === kind);
    if (!document) throw new FlowError(`termsDocuments has no ${kind}`);
    return document.version;
  };

  step(`applying for a password with the counter code (${employer.establishmentNumber})`);
  const authKey = await fromMailAfter(mailDir, employer.email, /認証キー: (\S+)/, () =>
    mutate(client, REGISTRATION_REQUEST, "employerRegistrationRequest", {
      email: employer.email,
      emailConfirmation: employer.email,
      establishmentNumber: employer.establishmentNumber,
      phoneNumber: employer.phoneNumber,
      accountCreationCode: employer.accountCreationCode,
      agreedPrivacyPolicyVersion: version("PRIVACY_POLICY"),
      agreedTermsVersion: version("TERMS_OF_USE"),
    }),
  );

  step("registering the password with the mailed authentication key");
  const completed = await mutate(client, REGISTRATION_COMPLETE, "employerRegistrationComplete", {
    email: employer.email,
    authKey,
    password: employer.password,
    passwordConfirmation: employer.password,
  });
  process.stderr.write(`flow: account opened for ${completed.establishment.name}\n`);

  step("logging in with the password");
  let challenge;
  const otp = await fromMailAfter(
    mailDir,
    employer.email,
    /ワンタイムパスワード: (\d{6})/,
    async () => {
      const login = await mutate(client, LOGIN, "login", {
        portal: "EMPLOYER",
        email: employer.email,
        password: employer.password,
      });
      if (!login.otpChallenge) throw new FlowError("login asked for no one-time password");
      challenge = login.otpChallenge;
    },
  );

  step("verifying the mailed one-time password");
  const verified = await mutate(client, VERIFY_OTP, "loginVerifyOtp", {
    challengeId: challenge.id,
    otp,
  });
  session.token = verified.session.token;

  step("reading the viewer with the session token");
  const { data } = await client.query({ query: VIEWER });
  const viewer = data.viewer;
  if (viewer?.portal !== "EMPLOYER" || viewer.email !== employer.email) {
    throw new FlowError(`unexpected viewer after login: ${JSON.stringify(viewer)}`);
  }
  if (viewer.establishment?.establishmentNumber !== employer.establishmentNumber) {
    throw new FlowError(
      `the viewer is not of ${employer.establishmentNumber}: ${JSON.stringify(viewer)}`,
    );
  }
  // The subscription starts from this cursor: nothing sent after this moment is missed.
  return { token: session.token, cursor: data.eventCursor };
}

function describeWebSocketFailure(failure) {
  if (Array.isArray(failure)) {
    return failure.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; ");
  }
  if (failure && typeof failure.code === "number") {
    return `WebSocket closed with ${failure.code} ${failure.reason ?? ""}`.trim();
  }
  return String(failure?.message ?? failure);
}

/**
 * The `ws` WebSocket, reporting {"event":"subscribed"} once graphql-ws's subscribe message
 * has been written to the socket. The subscription starts after the `eventCursor` read at
 * login, so a message sent any time after that is delivered, however late the server reads
 * the subscribe message.
 */
class ReportingWebSocket extends WebSocket {
  send(data) {
    const subscribing = JSON.parse(data).type === "subscribe";
    super.send(data, (error) => {
      if (subscribing && !error) {
        step("waiting for a message");
        emit({ event: "subscribed" });
      }
    });
  }
}

async function firstMessageReceived(graphqlUrl, { token, cursor }) {
  step("subscribing to messageReceived over graphql-ws");
  const url = new URL(graphqlUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const client = createClient({
    url: url.href,
    webSocketImpl: ReportingWebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const results = client.iterate({ query: print(MESSAGE_RECEIVED), variables: { after: cursor } });
  try {
    const { value, done } = await results.next();
    if (done) throw new FlowError("the subscription ended without a message");
    if (value.errors?.length) throw new FlowError(describeWebSocketFailure(value.errors));
    return value.data.messageReceived;
  } catch (failure) {
    if (failure instanceof FlowError) throw failure;
    throw new FlowError(`subscription failed: ${describeWebSocketFailure(failure)}`);
  } finally {
    await results.return?.();
    await client.dispose();
  }
}

async function main() {
  const graphqlUrl = setting("GRAPHQL_URL");
  const mailDir = setting("MAIL_DIR");
  const employer = {
    accountCreationCode: setting("ACCOUNT_CREATION_CODE"),
    establishmentNumber: setting("ESTABLISHMENT_NUMBER", "1301-123456-7"),
    phoneNumber: setting("PHONE_NUMBER", "03-3812-0001"),
    email: setting("EMPLOYER_EMAIL", "hr@care.example.jp"),
    password: setting("EMPLOYER_PASSWORD", "Kyujin#2026"),
  };
  const timeoutSeconds = Number(setting("TIMEOUT_SECONDS", "60"));
  if (!(timeoutSeconds > 0)) throw new FlowError("TIMEOUT_SECONDS must be a positive number");
  setTimeout(() => {
    process.stderr.write(`flow: FAILED: timed out after ${timeoutSeconds}s while ${currentStep}\n`);
    process.exit(1);
  }, timeoutSeconds * 1000);

  const session = await openAccountAndLogIn(graphqlUrl, mailDir, employer);
  const received = await firstMessageReceived(graphqlUrl, session);
  emit({ event: "messageReceived", ...received });
}

main().then(
  () => process.exit(0),
  (error) => {
    // fetch's "fetch failed" says why only in its cause (e.g. ECONNREFUSED).
    const cause = error?.cause
      ? ` (${error.cause.code ?? error.cause.message ?? error.cause})`
      : "";
    process.stderr.write(`flow: FAILED while ${currentStep}: ${error?.message ?? error}${cause}\n`);
    if (!(error instanceof FlowError) && error?.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exit(1);
  },
);
