// The lambdahost console: hash routes, a few fetch calls, and plain DOM. No build step.
"use strict";

const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");
const state = { follow: null, flash: null };

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const init = { ...options, headers: { "X-Lambdahost-Console": "1", ...(options.headers || {}) } };
  if (options.raw !== undefined) {  // a file as it is (a .zip)
    init.body = options.raw;
    init.headers["Content-Type"] = "application/octet-stream";
  } else if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`/console/api${path}`, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.code ? `${data.code}: ${data.message}` : data.message);
  return data;
}

function message(text, kind = "error") {
  return h("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

function setCrumbs(...items) {
  crumbs.replaceChildren(...items.map(([label, href]) => (href ? h("a", { href }, label) : h("span", {}, label))));
}

function ms(value) {
  return value === null || value === undefined ? "-" : `${Number(value).toFixed(2)} ms`;
}

// -- routes ----------------------------------------------------------------------------------

const TABS = ["code", "test", "monitor", "configuration", "logs", "versions"];

async function route() {
  if (state.follow) { clearInterval(state.follow); state.follow = null; }
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 0) return await functionsPage();
    if (parts[0] === "create") return createPage();
    if (parts[0] === "resources") return parts[1] ? await resourcePage(parts[1]) : await resourcesPage();
    if (parts[0] === "functions" && parts[1]) return await functionPage(parts[1], TABS.includes(parts[2]) ? parts[2] : "code");
    show(message("No such page."));
  } catch (error) {
    show(message(error.message));
  }
}
window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", route);

// -- functions list --------------------------------------------------------------------------

async function functionsPage() {
  setCrumbs(["Functions"]);
  const data = await api("/functions");
  const search = h("input", { type: "search", placeholder: "Find functions", "aria-label": "Find functions" });
  const body = h("tbody");
  const fill = () => {
    const needle = search.value.toLowerCase();
    body.replaceChildren(...data.functions.filter((f) => f.name.toLowerCase().includes(needle)).map((f) =>
      h("tr", {},
        h("td", {}, h("a", { href: `#/functions/${encodeURIComponent(f.name)}/code` }, f.name)),
        h("td", {}, f.runtime), h("td", {}, f.handler), h("td", {}, `${f.memory} MB`),
        h("td", {}, f.lastModified), h("td", {}, f.invocations), h("td", {}, f.errors))));
    if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No functions.")));
  };
  search.addEventListener("input", fill);
  fill();
  show(
    h("div", { class: "row spread" }, h("h1", {}, `Functions (${data.functions.length})`),
      h("div", { class: "row" }, h("a", { href: "#/resources" }, "Local AWS resources"),
        h("a", { class: "button", href: "#/create" }, "Create function"))),
    h("div", { class: "panel" }, h("div", { class: "row" }, search),
      h("table", {}, h("thead", {}, h("tr", {}, ...["Function name", "Runtime", "Handler", "Memory", "Last modified",
        "Invocations (1 h)", "Errors (1 h)"].map((t) => h("th", { scope: "col" }, t)))), body)));
}

// -- the local AWS's resources ---------------------------------------------------------------

async function resourcesPage() {
  setCrumbs(["Functions", "#/"], ["Local AWS resources"]);
  const data = await api("/resources");
  const rows = data.resources.map((r) => h("tr", {},
    h("td", {}, h("a", { href: `#/resources/${encodeURIComponent(r.logicalId)}` }, r.logicalId)),
    h("td", {}, r.type), h("td", {}, r.name)));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 3, class: "muted" },
    data.endpoint ? "The template declares no tables, buckets, queues or topics." : "No local AWS runs.")));
  show(h("h1", {}, "Local AWS resources"),
    data.endpoint ? h("p", { class: "muted" }, `Every service answers at ${data.endpoint} (AWS_ENDPOINT_URL).`) : null,
    h("div", { class: "panel" }, h("table", {},
      h("thead", {}, h("tr", {}, ...["Resource", "Type", "Name"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows))));
}

async function resourcePage(logicalId) {
  setCrumbs(["Functions", "#/"], ["Local AWS resources", "#/resources"], [logicalId]);
  const data = await api(`/resources/${encodeURIComponent(logicalId)}`);
  const rows = data.rows.map((row) => h("tr", {}, ...row.map((cell) => h("td", {}, cell))));
  const span = Math.max(1, data.columns.length);
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: span, class: "muted" }, "Empty.")));
  const count = data.count === null ? "" : ` · ${data.count} in all, the first ${data.rows.length} shown`;
  show(h("h1", {}, data.logicalId, data.name !== data.logicalId ? h("span", { class: "muted" }, ` ${data.name}`) : null),
    h("p", { class: "muted" }, data.type + count),
    h("div", { class: "panel" }, h("table", {},
      h("thead", {}, h("tr", {}, ...data.columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows))));
}

async function createPage() {
  setCrumbs(["Functions", "#/"], ["Create function"]);
  const data = await api("/functions");
  const name = h("input", { id: "function-name", required: true, pattern: "[A-Za-z0-9_\\-]{1,64}" });
  const runtime = h("select", { id: "runtime" }, ...data.runtimes.map((r) =>
    h("option", { value: r, selected: r === data.defaultRuntime }, r)));
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "panel", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api("/functions", { method: "POST", body: { name: name.value, runtime: runtime.value } });
      location.hash = `#/functions/${encodeURIComponent(name.value)}/code`;
    } catch (error) { status.replaceChildren(message(error.message)); }
  } },
  h("h2", {}, "Basic information"),
  h("div", { class: "form" }, h("label", { for: "function-name" }, "Function name", name),
    h("label", { for: "runtime" }, "Runtime", runtime)),
  h("p", { class: "muted" }, "The function starts with the Lambda console's default code: lambda_function.py, handler lambda_function.lambda_handler."),
  status, h("button", { type: "submit" }, "Create function"));
  show(h("h1", {}, "Create function"), form);
  name.focus();
}

// -- one function ------------------------------------------------------------------------------

async function functionPage(name, tab) {
  const fn = await api(`/functions/${encodeURIComponent(name)}`);
  setCrumbs(["Functions", "#/"], [name]);
  const tabs = h("nav", { class: "tabs", "aria-label": "Function sections" }, ...TABS.map((t) =>
    h("a", { href: `#/functions/${encodeURIComponent(name)}/${t}`, "aria-current": t === tab ? "page" : null },
      t[0].toUpperCase() + t.slice(1))));
  const c = fn.configuration;
  const overview = h("div", { class: "panel" }, h("div", { class: "row spread" },
    h("div", {}, h("strong", {}, c.FunctionName), h("span", { class: "muted" }, ` · ${c.Runtime} · ${c.Handler} · ${c.MemorySize} MB · ${c.Timeout} s`)),
    h("span", { class: "muted" }, fn.origin === "template" ? "from the template" : "created here")));
  const body = h("section", { "aria-label": tab });
  if (state.flash) {  // what the action that re-rendered the page has to say
    body.append(state.flash);
    state.flash = null;
  }
  show(h("h1", {}, name), overview, tabs, body);
  await { code: codeTab, test: testTab, monitor: monitorTab, configuration: configurationTab, logs: logsTab,
          versions: versionsTab }[tab](name, fn, body);
}

// -- Code -------------------------------------------------------------------------------------
// What the learner typed is kept in this browser until it is deployed or discarded: tab changes
// and reloads keep it, and leaving the page with undeployed changes asks first.

const EDITS = (name) => `lambdahost:edits:${name}`;

function keptEdits(name) {
  try { return JSON.parse(localStorage.getItem(EDITS(name))) || {}; } catch { return {}; }
}

function keepEdits(name, edits) {
  if (Object.keys(edits).length) localStorage.setItem(EDITS(name), JSON.stringify(edits));
  else localStorage.removeItem(EDITS(name));
}

window.addEventListener("beforeunload", (event) => {
  if (Object.keys(localStorage).some((key) => key.startsWith("lambdahost:edits:"))) event.preventDefault();
});

/** Deploy the kept edits of a function (a file's new text, or null: deleted); the syntax errors
 * the host found in them. */
async function deployEdits(name) {
  const edits = Object.entries(keptEdits(name));
  const body = {
    files: Object.fromEntries(edits.filter(([, text]) => text !== null)),
    deleted: edits.filter(([, text]) => text === null).map(([file]) => file),
  };
  const answer = await api(`/functions/${encodeURIComponent(name)}/files`, { method: "PUT", body });
  keepEdits(name, {});
  return answer.problems || [];
}

function describeProblems(problems) {
  return problems.map((p) => `${p.file} line ${p.line}: ${p.message}`).join("; ");
}

async function codeTab(name, fn, body) {
  const data = await api(`/functions/${encodeURIComponent(name)}/files`);
  const edits = keptEdits(name);  // file -> its new text, or null: deleted
  const handlerFile = (fn.configuration.Handler || "").replace(/\.[^./]*$/, "");
  const names = () => [...new Set([...Object.keys(data.files), ...Object.keys(edits)])]
    .filter((file) => edits[file] !== null).sort();
  const textOf = (file) => edits[file] ?? data.files[file];
  let current = names().find((f) => f.replace(/\.[^./]*$/, "") === handlerFile) || names().find((f) => textOf(f) !== null) || names()[0];
  let problems = [];
  const status = h("div", { "aria-live": "polite" });
  const pending = h("span", { class: "badge", id: "undeployed", hidden: !Object.keys(edits).length }, "Changes not deployed");
  const changed = () => { keepEdits(name, edits); pending.hidden = !Object.keys(edits).length; };
  const host = h("div", { class: "editor", id: "editor" });
  const editor = LambdahostEditor.create(host, {
    onChange: (text) => {
      if (current === undefined) return;
      if (text === data.files[current]) delete edits[current]; else edits[current] = text;
      changed();
    },
    onSave: () => deploy.click(),
  });
  const list = h("div", { class: "files", role: "group", "aria-label": "Files" });
  const open = (file) => {
    current = file;
    list.replaceChildren(...names().map((f) => h("button", { type: "button", "data-file": f, "aria-pressed": String(f === file),
      onclick: () => open(f) }, f)));
    editor.open(file === undefined ? "" : textOf(file) ?? "(binary file)", file || "", file !== undefined && textOf(file) !== null);
    editor.problems(problems.filter((p) => p.file === file));
  };
  // File operations are edits like the rest: kept until deployed.
  const newFile = h("button", { type: "button", class: "secondary small", id: "new-file", onclick: () => {
    const path = prompt("New file (a folder's files as folder/name.py):", "");
    if (!path) return;
    if (names().includes(path)) { status.replaceChildren(message(`${path} exists already.`)); return; }
    edits[path] = "";
    changed();
    open(path);
  } }, "New file");
  const rename = h("button", { type: "button", class: "secondary small", id: "rename-file", onclick: () => {
    if (current === undefined) return;
    const path = prompt(`Rename ${current} to:`, current);
    if (!path || path === current) return;
    if (names().includes(path)) { status.replaceChildren(message(`${path} exists already.`)); return; }
    edits[path] = textOf(current);
    if (current in data.files) edits[current] = null; else delete edits[current];
    changed();
    open(path);
  } }, "Rename");
  const remove = h("button", { type: "button", class: "secondary small", id: "delete-file", onclick: () => {
    if (current === undefined || !confirm(`Delete ${current}?`)) return;
    if (current in data.files) edits[current] = null; else delete edits[current];
    changed();
    open(names()[0]);
  } }, "Delete");
  const upload = h("input", { type: "file", id: "upload-zip", accept: ".zip,application/zip", class: "visually-hidden" });
  upload.addEventListener("change", async () => {
    if (!upload.files.length) return;
    try {
      await api(`/functions/${encodeURIComponent(name)}/code.zip`, { method: "PUT", raw: await upload.files[0].arrayBuffer() });
      keepEdits(name, {});
      state.flash = message(`Uploaded ${upload.files[0].name}: it is the function's code now.`, "ok");
      await route();
    } catch (error) { status.replaceChildren(message(error.message)); }
  });
  const download = h("a", { class: "button secondary small", id: "download-zip", download: `${name}.zip`,
    href: `/console/api/functions/${encodeURIComponent(name)}/code.zip` }, "Download .zip");
  const deployed = async (found) => {  // the edits are the function's code now
    problems = found;
    data.files = (await api(`/functions/${encodeURIComponent(name)}/files`)).files;
    for (const key of Object.keys(edits)) delete edits[key];
    changed();
    open(names().includes(current) ? current : names()[0]);
  };
  const deploy = h("button", { type: "button", id: "deploy", onclick: async () => {
    try {
      await deployed(await deployEdits(name));
      status.replaceChildren(problems.length
        ? message(`Deployed, with a syntax error: ${describeProblems(problems)}`)
        : message("Deployed: the next invocation runs this code.", "ok"));
    } catch (error) { status.replaceChildren(message(error.message)); }
  } }, "Deploy");
  const discard = h("button", { type: "button", class: "secondary", id: "discard", onclick: () => {
    for (const key of Object.keys(edits)) delete edits[key];
    changed();
    open(names().includes(current) ? current : names()[0]);
    status.replaceChildren(message("Changes discarded.", "ok"));
  } }, "Discard changes");
  const result = h("div", { id: "result", "aria-live": "polite" });
  const test = h("button", { type: "button", class: "secondary", id: "code-test", onclick: () =>
    runTest(name, test, result, status, null, deployed) }, "Test");
  const handler = h("input", { id: "handler", value: fn.configuration.Handler, size: 40 });
  const saveHandler = h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      await api(`/functions/${encodeURIComponent(name)}/configuration`, { method: "PUT", body: { Handler: handler.value } });
      state.flash = message(`Handler saved: ${handler.value}`, "ok");
      await route();  // the summary shows the new handler
    } catch (error) { status.replaceChildren(message(error.message)); }
  } }, "Save handler");
  body.append(h("div", { class: "panel" },
    h("div", { class: "row spread" }, h("h2", {}, "Code source"), h("div", { class: "row" }, pending, discard, test, deploy)),
    h("p", { class: "muted" }, "Ctrl+S (⌘S) deploys. Edits are kept in this browser until you deploy or discard them."),
    status,
    h("div", { class: "code" },
      h("div", {}, h("div", { class: "row file-actions" }, newFile, rename, remove,
        h("label", { for: "upload-zip", class: "button secondary small" }, "Upload .zip", upload), download), list),
      host)),
    result,
    h("div", { class: "panel" }, h("h2", {}, "Runtime settings"),
      h("div", { class: "row" }, h("label", { for: "handler" }, "Handler", handler), saveHandler),
      h("p", { class: "muted" }, "The handler names the file and the function: file.function, or dir/file.function.")));
  open(current);
}

// -- Test -------------------------------------------------------------------------------------

const LAST_EVENT = (name) => `lambdahost:event:${name}`;
const DEFAULT_EVENT = JSON.stringify({ key1: "value1", key2: "value2", key3: "value3" }, null, 2);

/** The event the Code tab's Test sends: the saved event last used, else the console's default. */
async function lastEvent(name) {
  const chosen = localStorage.getItem(LAST_EVENT(name));
  if (!chosen) return DEFAULT_EVENT;
  const saved = (await api(`/functions/${encodeURIComponent(name)}/test-events`)).events;
  return saved[chosen] ?? DEFAULT_EVENT;
}

/** Press Test: deploy what is not deployed yet first (the console would run the old code; then
 * ``deployed(problems)``), then invoke; the result as the Lambda console shows it, and a running
 * indicator meanwhile. */
async function runTest(name, button, result, status, eventText, deployed = async () => {}) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  result.replaceChildren(h("div", { class: "panel running", role: "status" }, "Running…"));
  try {
    if (Object.keys(keptEdits(name)).length) {
      const problems = await deployEdits(name);
      await deployed(problems);
      status.replaceChildren(problems.length
        ? message(`Deployed your changes first, with a syntax error: ${describeProblems(problems)}`)
        : message("Deployed your changes first.", "ok"));
    }
    const event = eventText ?? await lastEvent(name);
    const r = await api(`/functions/${encodeURIComponent(name)}/test`, { method: "POST", body: { event } });
    result.replaceChildren(renderResult(r));
  } catch (error) {
    result.replaceChildren(message(error.message));
  }
  button.disabled = false;
  button.removeAttribute("aria-busy");
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function renderResult(r) {
  const failed = Boolean(r.functionError);
  const summary = [["Request ID", r.requestId], ["Init duration", ms(r.initDurationMs)], ["Duration", ms(r.durationMs)],
    ["Billed duration", `${r.billedDurationMs} ms`], ["Resources configured", `${r.memorySizeMb} MB`],
    ["Max memory used", `${r.maxMemoryUsedMb} MB`], ["Code SHA-256", r.codeSha256]];
  return h("div", { class: `panel result ${failed ? "failed" : "succeeded"}` },
    h("h2", {}, failed ? `Executing function: failed (${r.errorType})` : "Executing function: succeeded"),
    h("h3", {}, "Response"), h("pre", { id: "response" }, pretty(r.payload)),
    h("h3", {}, "Summary"), h("table", { id: "summary" }, h("tbody", {}, ...summary.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
    // A log record's own line breaks travel as carriage returns (as in CloudWatch): shown as lines here.
    h("h3", {}, "Log output"), h("pre", { id: "log-output" }, r.log.replace(/\r/g, "\n")));
}

async function testTab(name, fn, body) {
  const [templates, saved] = await Promise.all([api("/event-templates"), api(`/functions/${encodeURIComponent(name)}/test-events`)]);
  const events = saved.events;
  const last = localStorage.getItem(LAST_EVENT(name));
  const eventName = h("input", { id: "event-name", value: last in events ? last : "MyEvent", pattern: "[A-Za-z0-9._\\-]{1,25}" });
  const problem = h("p", { id: "event-problem", class: "problem", "aria-live": "polite" });
  const result = h("div", { id: "result", "aria-live": "polite" });
  const changed = () => {
    result.replaceChildren();  // the result shown was another event's
    try {
      JSON.parse(area.value);
      problem.textContent = "";
    } catch (error) {
      problem.textContent = `Not valid JSON: ${error.message}`;  // (the editor marks where)
    }
  };
  // The event in an editor of its own, JSON checked as it is typed and marked where it is wrong.
  const eventEditor = h("div", { class: "editor event", id: "event-json" });
  const editor = LambdahostEditor.create(eventEditor, {
    doc: last in events ? events[last] : DEFAULT_EVENT, file: "event.json", label: "Event JSON", onChange: changed,
  });
  const area = { get value() { return editor.text(); }, set value(text) { editor.open(text, "event.json"); } };
  const template = h("select", { id: "template" }, h("option", { value: "" }, "Choose a template"),
    ...templates.templates.map((t) => h("option", { value: `${t.service}/${t.event}` }, `${t.service} ${t.event}`)));
  template.addEventListener("change", async () => {
    if (!template.value) return;
    area.value = (await api(`/event-templates/${template.value}`)).event;
    eventName.value = template.value.replace("/", "-").slice(0, 25);
    changed();
  });
  const savedSelect = h("select", { id: "saved-events" });
  const fillSaved = () => savedSelect.replaceChildren(h("option", { value: "" }, `Saved events (${Object.keys(events).length}/10)`),
    ...Object.keys(events).map((e) => h("option", { value: e, selected: e === localStorage.getItem(LAST_EVENT(name)) }, e)));
  fillSaved();
  savedSelect.addEventListener("change", () => {
    if (!savedSelect.value) return;
    eventName.value = savedSelect.value;
    area.value = events[savedSelect.value];
    localStorage.setItem(LAST_EVENT(name), savedSelect.value);
    changed();
  });
  const status = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "button", class: "secondary", id: "save-event", onclick: async () => {
    try {
      const data = await api(`/functions/${encodeURIComponent(name)}/test-events/${encodeURIComponent(eventName.value)}`,
        { method: "PUT", body: { event: area.value } });
      Object.assign(events, data.events);
      localStorage.setItem(LAST_EVENT(name), eventName.value);
      fillSaved();
      status.replaceChildren(message(`Saved ${eventName.value}.`, "ok"));
    } catch (error) { status.replaceChildren(message(error.message)); }
  } }, "Save");
  const remove = h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      const data = await api(`/functions/${encodeURIComponent(name)}/test-events/${encodeURIComponent(eventName.value)}`, { method: "DELETE" });
      for (const key of Object.keys(events)) delete events[key];
      Object.assign(events, data.events); fillSaved();
      status.replaceChildren(message(`Deleted ${eventName.value}.`, "ok"));
    } catch (error) { status.replaceChildren(message(error.message)); }
  } }, "Delete");
  const test = h("button", { type: "button", id: "test", onclick: () => {
    if (eventName.value in events && events[eventName.value] === area.value) localStorage.setItem(LAST_EVENT(name), eventName.value);
    return runTest(name, test, result, status, area.value);
  } }, "Test");
  body.append(h("div", { class: "panel" },
    h("div", { class: "row spread" }, h("h2", {}, "Test event"), test),
    h("div", { class: "form" }, h("label", { for: "event-name" }, "Event name", eventName),
      h("label", { for: "template" }, "Template", template), h("label", { for: "saved-events" }, "Saved event", savedSelect)),
    h("p", { class: "label" }, "Event JSON"), eventEditor, problem,
    h("div", { class: "row", style: "margin-top:.6rem" }, save, remove), status), result);
}

// -- Monitor ----------------------------------------------------------------------------------

/** A chart of the last hour, per minute (uPlot): time and value axes, its unit, the values under
 * the pointer in its legend. ``series``: {key, label, bars, bad, sum}. Its summary is its label
 * for assistive technologies (a total, or the peak). */
function chart(title, points, series, unit) {
  const total = (s) => points.reduce((sum, p) => sum + (p[s.key] || 0), 0);
  const peak = Math.max(0, ...points.flatMap((p) => series.map((s) => p[s.key] ?? 0)));
  const summary = series[0].sum ? series.map((s) => `${s.label} ${total(s)}`).join(", ") : `peak ${peak} ${unit}`;
  const plot = h("div", { class: "plot" });
  const panel = h("div", { class: "panel chart", "data-chart": title, role: "img", "aria-label": `${title}: ${summary}` },
    h("h2", {}, title), plot);
  const style = getComputedStyle(document.documentElement);
  const colour = (s) => style.getPropertyValue(s.bad ? "--bad" : s.key === "p99" ? "--warn" : "--accent").trim();
  const ink = style.getPropertyValue("--muted").trim();
  const axis = { stroke: ink, grid: { stroke: style.getPropertyValue("--line").trim(), width: 1 }, ticks: { show: false } };
  requestAnimationFrame(() => new uPlot({
    width: Math.max(260, plot.clientWidth), height: 170,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [axis, { ...axis, size: 50, values: (u, ticks) => ticks.map((v) => `${v}${unit === "ms" ? " ms" : ""}`) }],
    series: [{ label: "Time" }, ...series.map((s) => ({
      label: s.label, stroke: colour(s), fill: s.bars ? `${colour(s)}55` : undefined, width: s.bars ? 1 : 2,
      paths: s.bars ? uPlot.paths.bars({ size: [0.8, 12] }) : undefined, points: { show: false },
      value: (u, v) => (v === null || v === undefined ? "–" : `${v}${unit === "ms" ? " ms" : ""}`),
    }))],
  }, [points.map((p) => p.time), ...series.map((s) => points.map((p) => p[s.key]))], plot));
  return panel;
}

async function monitorTab(name, fn, body) {
  const render = async () => {
    const { points } = await api(`/functions/${encodeURIComponent(name)}/metrics?minutes=60`);
    body.replaceChildren(h("p", { class: "muted" }, "The last hour, per minute, from this host's own metrics (also at /metrics). Point at a chart for its values."),
      h("div", { class: "charts" },
        chart("Invocations", points, [{ key: "invocations", label: "Invocations", bars: true, sum: true }], "count"),
        chart("Errors", points, [{ key: "errors", label: "Errors", bars: true, bad: true, sum: true }], "count"),
        chart("Throttles", points, [{ key: "throttles", label: "Throttles", bars: true, bad: true, sum: true }], "count"),
        chart("Duration", points, [{ key: "p50", label: "p50" }, { key: "p99", label: "p99" }], "ms"),
        chart("Concurrent executions", points, [{ key: "concurrency", label: "Max concurrent executions", bars: true }], "count")));
  };
  await render();
  state.follow = setInterval(render, 5000);
}

// -- Configuration ------------------------------------------------------------------------------

async function configurationTab(name, fn, body) {
  const c = fn.configuration;
  const field = (id, label, value, type = "number") => h("label", { for: id }, label, h("input", { id, type, value: value ?? "" }));
  const vars = Object.entries((c.Environment || {}).Variables || {}).map(([k, v]) => `${k}=${v}`).join("\n");
  const status = h("div", { "aria-live": "polite" });
  const save = async (path, payload) => {
    try {
      await api(`/functions/${encodeURIComponent(name)}/${path}`, { method: "PUT", body: payload });
      state.flash = message("Saved.", "ok");
      await route();  // the summary at the top shows what was saved
    } catch (error) { status.replaceChildren(message(error.message)); }
  };
  const value = (id) => document.getElementById(id).value;
  const number = (id) => (value(id) === "" ? null : Number(value(id)));
  const general = h("div", { class: "panel" }, h("h2", {}, "General configuration"),
    h("div", { class: "form" }, field("memory", "Memory (MB)", c.MemorySize), field("timeout", "Timeout (seconds)", c.Timeout),
      field("storage", "Ephemeral storage (MB)", c.EphemeralStorage.Size)),
    h("label", { for: "variables" }, "Environment variables (KEY=value, one per line)",
      h("textarea", { id: "variables", rows: 5, spellcheck: "false" }, vars)),
    h("div", { class: "row", style: "margin-top:.6rem" }, h("button", { type: "button", id: "save-general", onclick: () => {
      const variables = {};
      for (const line of value("variables").split("\n").map((l) => l.trim()).filter(Boolean)) {
        const at = line.indexOf("="); variables[at < 0 ? line : line.slice(0, at)] = at < 0 ? "" : line.slice(at + 1);
      }
      save("configuration", { MemorySize: number("memory"), Timeout: number("timeout"),
        EphemeralStorage: { Size: number("storage") }, Environment: { Variables: variables } });
    } }, "Save")));
  const config = fn.eventInvokeConfig || {};
  const destinations = config.DestinationConfig || {};
  const concurrency = h("div", { class: "panel" }, h("h2", {}, "Concurrency and asynchronous invocation"),
    h("div", { class: "form" }, field("reserved", "Reserved concurrency (empty: unreserved)", fn.reservedConcurrency),
      field("retries", "Retry attempts (0-2)", config.MaximumRetryAttempts),
      field("max-age", "Maximum age of event (seconds)", config.MaximumEventAgeInSeconds),
      field("on-success", "On-success destination (ARN)", (destinations.OnSuccess || {}).Destination, "text"),
      field("on-failure", "On-failure destination (ARN)", (destinations.OnFailure || {}).Destination, "text")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => save("concurrency", { ReservedConcurrentExecutions: number("reserved") }) }, "Save concurrency"),
      h("button", { type: "button", class: "secondary", onclick: () => {
        const payload = {};
        if (number("retries") !== null) payload.MaximumRetryAttempts = number("retries");
        if (number("max-age") !== null) payload.MaximumEventAgeInSeconds = number("max-age");
        const dest = {};
        if (value("on-success")) dest.OnSuccess = { Destination: value("on-success") };
        if (value("on-failure")) dest.OnFailure = { Destination: value("on-failure") };
        if (Object.keys(dest).length) payload.DestinationConfig = dest;
        save("event-invoke-config", payload);
      } }, "Save asynchronous settings")));
  const triggers = h("div", { class: "panel" }, h("h2", {}, "Triggers"),
    fn.triggers.length ? h("table", {}, h("tbody", {}, ...fn.triggers.map((t) => h("tr", {}, h("td", {}, t.name), h("td", {}, t.type),
      h("td", {}, h("code", {}, JSON.stringify(t.properties)))))))
      : h("p", { class: "muted" }, "No triggers: add Events to the function in the template, or create an event source mapping through the Lambda API."));
  body.append(status, general, concurrency, triggers);
}

// -- Logs ---------------------------------------------------------------------------------------

async function logsTab(name, fn, body) {
  const stream = h("select", { id: "stream" }, h("option", { value: "" }, "All log streams"));
  const filter = h("input", { id: "filter", type: "search", placeholder: "Filter text" });
  const since = h("select", { id: "since" }, ...[["", "Any time"], ["300", "Last 5 minutes"], ["3600", "Last hour"], ["86400", "Last day"]].map(([v, t]) => h("option", { value: v }, t)));
  const follow = h("input", { type: "checkbox", id: "follow" });
  const lines = h("div", { id: "log-events", "aria-live": "polite" });
  // As CloudWatch shows a log group: its streams, the one written last first, each one's events in order.
  const load = async () => {
    const query = new URLSearchParams({ stream: stream.value, filter: filter.value, since: since.value });
    const data = await api(`/functions/${encodeURIComponent(name)}/logs?${query}`);
    const chosen = stream.value;
    stream.replaceChildren(h("option", { value: "" }, "All log streams"), ...data.streams.map((s) => h("option", { value: s, selected: s === chosen }, s)));
    const groups = new Map();
    for (const e of data.events) {
      if (!groups.has(e.stream)) groups.set(e.stream, []);
      groups.get(e.stream).push(e);
    }
    const newest = [...groups.entries()].sort((a, b) => b[1].at(-1).time - a[1].at(-1).time);
    lines.replaceChildren(...newest.map(([streamName, events]) => h("details", { class: "stream", open: true },
      h("summary", {}, h("strong", {}, streamName), h("span", { class: "muted" }, ` · ${events.length} events · last ${new Date(events.at(-1).time).toISOString()}`)),
      ...events.map((e) => h("div", { class: "logline" }, h("time", {}, new Date(e.time).toISOString()), e.message.replace(/\r/g, "\n"))))));
    if (!newest.length) lines.append(h("p", { class: "muted" }, "No log events."));
  };
  for (const control of [stream, since]) control.addEventListener("change", load);
  filter.addEventListener("input", load);
  follow.addEventListener("change", () => {
    if (state.follow) { clearInterval(state.follow); state.follow = null; }
    if (follow.checked) state.follow = setInterval(load, 1000);
  });
  body.append(h("div", { class: "panel" }, h("div", { class: "row" }, h("label", { for: "stream" }, "Log stream", stream),
    h("label", { for: "filter" }, "Filter", filter), h("label", { for: "since" }, "Time", since),
    h("label", { for: "follow", style: "flex-direction:row;align-items:center" }, follow, "Follow")), lines));
  await load();
}

// -- Versions and aliases -------------------------------------------------------------------------

async function versionsTab(name, fn, body) {
  const status = h("div", { "aria-live": "polite" });
  const reload = () => route();
  const description = h("input", { id: "version-description", placeholder: "Description" });
  const alias = h("input", { id: "alias-name", placeholder: "live" });
  const version = h("select", { id: "alias-version" }, h("option", { value: "$LATEST" }, "$LATEST"),
    ...fn.versions.map((v) => h("option", { value: v.Version }, v.Version)));
  body.append(status,
    h("div", { class: "panel" }, h("div", { class: "row spread" }, h("h2", {}, "Versions"),
      h("div", { class: "row" }, description, h("button", { type: "button", id: "publish", onclick: async () => {
        try { await api(`/functions/${encodeURIComponent(name)}/versions`, { method: "POST", body: { description: description.value } }); reload(); }
        catch (error) { status.replaceChildren(message(error.message)); }
      } }, "Publish new version"))),
      h("table", {}, h("thead", {}, h("tr", {}, ...["Version", "Description", "Code SHA-256", "Last modified"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...fn.versions.map((v) => h("tr", {}, h("td", {}, v.Version), h("td", {}, v.Description), h("td", {}, v.CodeSha256), h("td", {}, v.LastModified)))))),
    h("div", { class: "panel" }, h("h2", {}, "Aliases"),
      h("table", {}, h("tbody", {}, ...fn.aliases.map((a) => h("tr", {}, h("td", {}, a.Name), h("td", {}, `→ ${a.FunctionVersion}`))))),
      h("div", { class: "row", style: "margin-top:.6rem" }, h("label", { for: "alias-name" }, "Alias", alias),
        h("label", { for: "alias-version" }, "Version", version),
        h("button", { type: "button", id: "save-alias", onclick: async () => {
          try { await api(`/functions/${encodeURIComponent(name)}/aliases`, { method: "POST", body: { name: alias.value, version: version.value } }); reload(); }
          catch (error) { status.replaceChildren(message(error.message)); }
        } }, "Create or move alias"))));
}
