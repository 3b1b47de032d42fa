// The GraphiQL page's script, bundled by scripts/build-assets.ts (npm run build:assets) into
// dist/graphiql.js and dist/graphiql.css: GraphiQL from the graphiql package, nothing fetched at
// run time. The token pasted in the bar is sent as `Authorization: Bearer <token>` with every
// request and kept for this browser tab only (sessionStorage).
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { createElement as h, useState } from "react";
import { createRoot } from "react-dom/client";

const TOKEN_KEY = "gateway.graphiql.token";
const endpoint = new URL("/graphql", window.location.href).toString();

function fetcherFor(token) {
  return async (params) => {
    const headers = { "content-type": "application/json", accept: "application/graphql-response+json, application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify(params) });
    return response.json();
  };
}

function TokenBar({ token, onApply }) {
  const [draft, setDraft] = useState(token);
  return h(
    "form",
    {
      className: "token-bar",
      onSubmit: (event) => {
        event.preventDefault();
        onApply(draft.trim().replace(/^Bearer\s+/i, ""));
      },
    },
    h("label", { htmlFor: "token" }, "Token"),
    h("input", {
      id: "token",
      name: "token",
      type: "password",
      autoComplete: "off",
      spellCheck: false,
      placeholder: "paste a token (npm start prints one; npm run token makes others)",
      value: draft,
      onChange: (event) => setDraft(event.target.value),
    }),
    h("button", { type: "submit" }, "Use token"),
    h("span", { className: "token-state", "data-testid": "token-state" }, token ? "sent as Authorization" : "no token: every request is refused"),
  );
}

function App() {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? "");
  const apply = (next) => {
    sessionStorage.setItem(TOKEN_KEY, next);
    setToken(next);
  };
  return h(
    "div",
    { className: "page" },
    h(TokenBar, { token, onApply: apply }),
    // A new token re-reads the schema: remounting keeps the editors (GraphiQL stores its tabs).
    h("div", { className: "ide" }, h(GraphiQL, { key: token, fetcher: fetcherFor(token), isHeadersEditorEnabled: false, shouldPersistHeaders: false })),
  );
}

createRoot(document.getElementById("root")).render(h(App));
