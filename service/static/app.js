// samestory's cluster browser: a few views over the REST API, routed by the URL's #fragment.
//   #/                 newest and largest clusters
//   #/cluster/c12      a cluster's articles
//   #/article/ID       an article's clean text and the chrome cut from its page
//   #/paste            submit an article and watch where it lands
// Every string from the API is put in the page as text (never as HTML).
"use strict";

const view = document.getElementById("view");
const errorBox = document.getElementById("error");
const keyForm = document.getElementById("key-form");
const KEY = "samestory-api-key";

// -- talking to the API -------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const key = localStorage.getItem(KEY);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    keyForm.hidden = false;
    throw new ApiError(401, body.error || "an API key is needed");
  }
  if (!response.ok) throw new ApiError(response.status, body.error || `HTTP ${response.status}`);
  return body;
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem(KEY, document.getElementById("key-input").value.trim());
  keyForm.hidden = true;
  route();
});

// -- building the page ----------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...nodes) {
  errorBox.hidden = true;
  view.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined));
}

function fail(error) {
  errorBox.textContent = error.message || String(error);
  errorBox.hidden = false;
}

const day = (iso) => (iso ? iso.slice(0, 10) : null);

function span(first, last) {
  if (!first) return "undated";
  return day(first) === day(last) || !last ? day(first) : `${day(first)} – ${day(last)}`;
}

const clusterLink = (id, text) => el("a", { href: `#/cluster/${encodeURIComponent(id)}`, text: text || id });
const articleLink = (id, text) => el("a", { href: `#/article/${encodeURIComponent(id)}`, text: text || id });

// -- #/ : newest and largest clusters -------------------------------------------------------------------
function clusterCard(summary) {
  const headline = el("span", { class: "headline", text: summary.title || summary.representative_id || summary.id });
  const card = el(
    "li",
    { class: "cluster", "data-cluster": summary.id },
    el("a", { href: `#/cluster/${encodeURIComponent(summary.id)}`, class: "card-link" }, headline),
    el(
      "div",
      { class: "meta" },
      el("span", { class: "badge", text: `${summary.size} article${summary.size === 1 ? "" : "s"}` }),
      ` ${summary.id} · ${span(summary.first_published, summary.last_published)}`,
    ),
  );
  // The headline is the representative article's; the sources come with the cluster itself.
  api(`/clusters/${encodeURIComponent(summary.id)}?limit=1`)
    .then((cluster) => {
      if (cluster.sources.length) card.querySelector(".meta").append(` · ${cluster.sources.join(", ")}`);
    })
    .catch(() => {});
  return card;
}

function clusterList(title, note, listId, summaries) {
  return el(
    "section",
    { class: "column" },
    el("h2", { text: title }),
    el("p", { class: "muted", text: note }),
    summaries.length
      ? el("ol", { class: "clusters", id: listId }, ...summaries.map(clusterCard))
      : el("p", { class: "empty", text: "No clusters yet: submit articles (POST /articles) and let the workers run." }),
  );
}

async function home() {
  const [recent, largest] = await Promise.all([
    api("/clusters?limit=15"),
    api("/clusters?order=size&limit=15"),
  ]);
  show(
    el(
      "div",
      { class: "columns" },
      clusterList("Newest", "Most recent activity first.", "recent-clusters", recent.clusters),
      clusterList("Largest", "Most articles first.", "largest-clusters", largest.clusters),
    ),
  );
}

// -- #/cluster/ID ---------------------------------------------------------------------------------------
// The first articles of a cluster, in order of arrival; the page says when there are more.
const CLUSTER_PAGE = 200;

async function clusterView(id) {
  const cluster = await api(`/clusters/${encodeURIComponent(id)}?limit=${CLUSTER_PAGE}`);
  const rows = cluster.articles.map((a) =>
    el(
      "tr",
      { "data-article": a.id },
      el("td", {}, articleLink(a.id, a.title || a.id)),
      el("td", { text: a.source || "—" }),
      el("td", { text: day(a.published_at) || "—" }),
      el(
        "td",
        {},
        a.canonical_id === a.id
          ? el("span", { class: "badge original", text: "original" })
          : el("span", { class: "badge copy" }, "copy of ", articleLink(a.canonical_id)),
      ),
    ),
  );
  const renamed = cluster.id !== id ? el("p", { class: "muted", text: `${id} was merged into ${cluster.id}.` }) : null;
  show(
    el("p", { class: "crumbs" }, el("a", { href: "#/", text: "Clusters" }), ` › ${cluster.id}`),
    el("h1", { id: "cluster-title", text: cluster.title || cluster.representative_id || cluster.id }),
    renamed,
    el(
      "p",
      { class: "meta" },
      `${cluster.size} articles from ${cluster.sources.length || "no"} named source${cluster.sources.length === 1 ? "" : "s"}`,
      ` · ${span(cluster.first_published, cluster.last_published)}`,
    ),
    el(
      "table",
      { id: "cluster-articles" },
      el("thead", {}, el("tr", {}, ...["Article", "Source", "Published", "Near-duplicate group"].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows),
    ),
    cluster.next_cursor
      ? el("p", { class: "muted", text: `The first ${rows.length} of ${cluster.size} articles, in order of arrival.` })
      : null,
  );
}

// -- #/article/ID ---------------------------------------------------------------------------------------
async function articleView(id) {
  const a = await api(`/articles/${encodeURIComponent(id)}?include=removed`);
  const facts = el(
    "p",
    { class: "meta" },
    a.source || "unknown source",
    ` · ${day(a.published_at) || "undated"} · status ${a.status}`,
    a.cluster_id ? " · story " : null,
    a.cluster_id ? clusterLink(a.cluster_id) : null,
    a.canonical_id && a.canonical_id !== a.id ? " · copy of " : null,
    a.canonical_id && a.canonical_id !== a.id ? articleLink(a.canonical_id) : null,
    a.url ? " · " : null,
    a.url ? el("a", { href: a.url, rel: "noopener noreferrer", text: "original page" }) : null,
  );
  const body = (a.body || "").split(/\n{2,}/).filter((p) => p.trim());
  const removed = a.removed || [];
  show(
    el(
      "p",
      { class: "crumbs" },
      el("a", { href: "#/", text: "Clusters" }),
      a.cluster_id ? " › " : null,
      a.cluster_id ? clusterLink(a.cluster_id) : null,
      ` › ${a.id}`,
    ),
    el("h1", { id: "article-title", text: a.title || a.id }),
    facts,
    a.error ? el("p", { class: "failed", text: `Failed: ${a.error}` }) : null,
    el(
      "div",
      { class: "article" },
      el(
        "article",
        { id: "article-body" },
        ...(body.length ? body.map((p) => el("p", { text: p })) : [el("p", { class: "muted", text: "No clean text (yet)." })]),
      ),
      el(
        "aside",
        { id: "article-removed" },
        el("h2", { text: `Cut from the page (${removed.length})` }),
        el("p", { class: "muted", text: "Page chrome the cleaner removed, in page order, with the reason for each." }),
        el(
          "ul",
          {},
          ...removed.map((r) => el("li", {}, el("del", { text: r.text }), " ", el("span", { class: "reason", text: r.reason }))),
        ),
      ),
    ),
  );
}

// -- #/paste --------------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function pasteView() {
  const page = el("textarea", { id: "paste-text", rows: "14", placeholder: "Paste a scraped page: text (one block per line) or HTML", required: "required" });
  const source = el("input", { id: "paste-source", placeholder: "source, e.g. apnews.com" });
  const date = el("input", { id: "paste-date", placeholder: "published, e.g. 2024-04-26" });
  const result = el("div", { id: "paste-result" });
  const form = el(
    "form",
    { id: "paste-form" },
    page,
    el("div", { class: "row" }, source, date, el("button", { type: "submit", text: "Submit and watch" })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = page.value;
    const article = /^\s*</.test(text) ? { html: text } : { text };
    if (source.value.trim()) article.source = source.value.trim();
    if (date.value.trim()) article.published_at = date.value.trim();
    result.replaceChildren(el("p", { class: "muted", text: "Submitting…" }));
    try {
      const accepted = await api("/articles", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(article),
      });
      let found = accepted;
      for (let i = 0; i < 240 && found.status !== "done" && found.status !== "failed"; i++) {
        result.replaceChildren(el("p", { class: "muted", text: `${accepted.id}: ${found.status}… (waiting for a worker)` }));
        await sleep(500);
        found = await api(`/articles/${encodeURIComponent(accepted.id)}`);
      }
      if (found.status === "failed") {
        result.replaceChildren(el("p", { class: "failed", text: `${found.id} failed: ${found.error}` }));
      } else if (found.status !== "done") {
        result.replaceChildren(el("p", {}, "Still waiting after two minutes: are workers running? Look later at ", articleLink(found.id), "."));
      } else {
        const cluster = await api(`/clusters/${encodeURIComponent(found.cluster_id)}`);
        result.replaceChildren(
          el(
            "p",
            { class: "landed" },
            articleLink(found.id, found.title || found.id),
            " landed in story ",
            clusterLink(found.cluster_id),
            ` with ${cluster.size - 1} other article${cluster.size === 2 ? "" : "s"}`,
            found.canonical_id !== found.id ? ", as a copy of " : ".",
            found.canonical_id !== found.id ? articleLink(found.canonical_id) : null,
          ),
        );
      }
    } catch (error) {
      result.replaceChildren(el("p", { class: "failed", text: error.message }));
    }
  });
  show(
    el("h1", { text: "Where does an article land?" }),
    el("p", { class: "muted", text: "It is stored and processed like any other article (POST /articles), then shown with its story." }),
    form,
    result,
  );
}

// -- routing --------------------------------------------------------------------------------------------
async function route() {
  const [, kind, ...rest] = (location.hash || "#/").slice(1).split("/");
  const id = decodeURIComponent(rest.join("/"));
  try {
    if (kind === "cluster" && id) await clusterView(id);
    else if (kind === "article" && id) await articleView(id);
    else if (kind === "paste") pasteView();
    else await home();
  } catch (error) {
    fail(error);
  }
}

window.addEventListener("hashchange", route);
route();
