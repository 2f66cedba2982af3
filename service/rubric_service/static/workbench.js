// The workbench page: plain JavaScript, no build step, no request but to the server that sent it.
// It calls /v1/studio/{info,file,analyze,score,tests,sheet,save} and /v1/format (rubric_service.workbench).
"use strict";

const $ = (id) => document.getElementById(id);
const TEXT = {
  zh: {
    title: "评分规则工作台", file: "文件", format: "格式化", save: "保存", runTests: "运行测试", language: "语言",
    token: "令牌", problems: "问题", tests: "测试用例", outline: "大纲", facts: "事实（项目数据）", sheet: "评分表",
    download: "下载 xlsx", noProblems: "没有问题", studio: "工作室：保存写入目录", server: "只读：草稿只检查与评分，不写入",
    checking: "检查中…", saved: "已保存", formatted: "已格式化", unchanged: "格式无变化", total: "总分", grade: "等次",
    indicator: "指标", points: "得分", explanation: "说明", lost: "扣分", clauses: "条款", reached: "已覆盖",
    passed: "通过", failed: "失败", fillIn: "填写事实后即时评分", range: "范围", unit: "单位", defaultValue: "默认",
    yes: "是", no: "否", errorsFirst: "草稿有错误，修正后再评分", inputs: "输入", noTests: "此文件旁没有测试用例",
    needToken: "此服务器需要令牌", missing: "尚未填写",
  },
  en: {
    title: "Rubric workbench", file: "File", format: "Format", save: "Save", runTests: "Run tests", language: "Language",
    token: "Token", problems: "Problems", tests: "Test cases", outline: "Outline", facts: "Facts", sheet: "Score sheet (评分表)",
    download: "Download xlsx", noProblems: "No problems", studio: "studio: saving writes to the directory",
    server: "read-only: drafts are checked and scored, never written", checking: "checking…", saved: "saved",
    formatted: "formatted", unchanged: "already formatted", total: "Total", grade: "Grade", indicator: "Indicator",
    points: "Points", explanation: "Explanation", lost: "Lost", clauses: "clauses", reached: "reached",
    passed: "passed", failed: "failed", fillIn: "fill in the facts to score as you go", range: "range", unit: "unit",
    defaultValue: "default", yes: "yes", no: "no", errorsFirst: "the draft has errors: fix them to score",
    inputs: "Inputs", noTests: "no test cases beside this file", needToken: "this server needs a token",
    missing: "not filled in",
  },
};

const state = {
  lang: localStorage.getItem("rubric.lang") || "zh",
  info: null, path: "", diagnostics: [], coverage: [], rubric: null, analyzeSeq: 0, scoreSeq: 0,
};
const t = (key) => TEXT[state.lang][key] || key;
// What the page asks the server to word its messages in (its problems, refusals and explanations).
const ACCEPT_LANGUAGE = { zh: "zh-CN,zh;q=0.9", en: "en-US,en;q=0.9" };

// --- calls -------------------------------------------------------------------------------------------------

async function call(path, body, raw) {
  const headers = { "content-type": "application/json", "accept-language": ACCEPT_LANGUAGE[state.lang] };
  const token = sessionStorage.getItem("rubric.token");
  if (token) headers.authorization = "Bearer " + token;
  let response;
  for (let attempt = 0; ; attempt++) {
    response = await fetch(path, body === undefined ? { headers } : {
      method: "POST", headers, body: JSON.stringify(body),
    });
    if (response.status !== 429 || attempt >= 20) break;  // the server is busy with other drafts: try again
    await new Promise((resolve) => setTimeout(resolve, 150 * (attempt + 1)));
  }
  if (response.status === 401) {
    $("token-box").hidden = false;
    setStatus(t("needToken"));
  }
  if (raw) return response;
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { status: data });
  return data;
}

function setStatus(text) { $("status").textContent = text; }

function draft() { return { path: state.path, source: $("source").value }; }

// --- highlighting ------------------------------------------------------------------------------------------

const KEYWORDS = new Set(("above abs abstract and bands below checklist choice constraint count deduct default down " +
  "each else extends false flag from grades half_down half_even half_up if indicator inf input judged let linear max " +
  "min money not number or otherwise override per percent points proportional range region round rubric section " +
  "source started steps target then tiers to total true unit up version when whole year zero").split(" "));
const TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*"?)|(\d+(?:\.\d+)?%?)|([A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff.]*)|(=>|<=|>=|==|!=|\.\.|[<>+\-*/=])/gy;

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// One line's HTML: tokens coloured, and the columns a diagnostic covers marked.
function lineHtml(line, marks) {
  const classes = new Array(line.length).fill("");
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < line.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(line);
    if (!m) { pos += 1; continue; }
    const kind = m[1] ? "com" : m[2] ? "str" : m[3] ? "num" : m[4] ? (KEYWORDS.has(m[4]) ? "kw" : "") : "op";
    for (let i = pos; i < pos + m[0].length; i++) classes[i] = kind ? "tok-" + kind : "";
    pos += m[0].length;
  }
  const diag = new Array(line.length + 1).fill("");
  for (const mark of marks) {
    for (let i = mark.from; i < Math.max(mark.to, mark.from + 1) && i <= line.length; i++) diag[i] = "diag-" + mark.severity;
  }
  let html = "";
  let open = null;
  const chars = Array.from(line.length ? line : "");
  let index = 0;
  for (const ch of chars) {
    const cls = [classes[index], diag[index]].filter(Boolean).join(" ");
    if (cls !== open) {
      if (open !== null) html += "</span>";
      html += `<span class="${cls}">`;
      open = cls;
    }
    html += escapeHtml(ch);
    index += ch.length;
  }
  if (open !== null) html += "</span>";
  if (diag[line.length] && marks.some((m) => m.from >= line.length)) html += `<span class="${diag[line.length]}"> </span>`;
  return html;
}

function render() {
  const text = $("source").value;
  const lines = text.split("\n");
  const byLine = new Map();
  for (const d of state.diagnostics) {
    for (let n = d.line; n <= Math.max(d.line, d.endLine); n++) {
      const from = n === d.line ? d.column - 1 : 0;
      const to = n === d.endLine ? d.endColumn - 1 : (lines[n - 1] || "").length;
      if (!byLine.has(n)) byLine.set(n, []);
      byLine.get(n).push({ from, to, severity: d.severity });
    }
  }
  $("highlight").innerHTML = lines.map((l, i) => lineHtml(l, byLine.get(i + 1) || [])).join("\n") + "\n";
  const worst = new Map();
  for (const d of state.diagnostics) {
    if (worst.get(d.line) !== "error") worst.set(d.line, d.severity);
  }
  const cover = new Map();
  for (const c of state.coverage) {
    cover.set(c.line, cover.get(c.line) === "missed" || !c.reached ? "missed" : "covered");
  }
  $("gutter").innerHTML = lines.map((_, i) => {
    const n = i + 1;
    const cls = [worst.get(n) || "", cover.get(n) || ""].filter(Boolean).join(" ");
    const title = state.coverage.filter((c) => c.line === n).map((c) => `${c.reached ? "✔" : "✘"} ${c.clause}`).join("\n");
    return `<div class="${cls}" data-line="${n}" title="${escapeHtml(title)}">${n}</div>`;
  }).join("");
  syncScroll();
}

function syncScroll() {
  const area = $("source");
  $("highlight").scrollTop = area.scrollTop;
  $("highlight").scrollLeft = area.scrollLeft;
  $("gutter").scrollTop = area.scrollTop;
}

// --- analysis: diagnostics, outline, facts form, blank sheet ------------------------------------------------

// One call of `work` at a time; asked again while it runs, it runs once more after, on what is then current.
function serial(work) {
  let running = false;
  let again = false;
  return async function run() {
    if (running) { again = true; return; }
    running = true;
    try {
      do { again = false; await work(); } while (again);
    } finally {
      running = false;
    }
  };
}

let analyzeTimer = null;
function scheduleAnalyze() {
  clearTimeout(analyzeTimer);
  setStatus(t("checking"));
  analyzeTimer = setTimeout(analyze, 250);
}

const analyze = serial(analyzeNow);

async function analyzeNow() {
  const seq = ++state.analyzeSeq;
  let reply;
  try {
    reply = await call("/v1/studio/analyze", draft());
  } catch (error) {
    setStatus(error.message);
    return;
  }
  if (seq !== state.analyzeSeq) return;
  state.diagnostics = reply.diagnostics;
  state.coverage = [];
  showDiagnostics();
  render();
  setStatus("");
  state.broken = !reply.rubric;
  if (state.broken) {  // the last good outline and form stay while the author fixes the draft
    $("result").innerHTML = `<p class="error">${escapeHtml(t("errorsFirst"))}</p>`;
    return;
  }
  const before = state.rubric ? JSON.stringify(state.rubric.inputs || []) : "";
  state.rubric = reply.rubric;
  showOutline();
  if (JSON.stringify(state.rubric.inputs || []) !== before) buildFacts();
  if (reply.sheet && !hasFacts()) $("sheet").srcdoc = reply.sheet;
  if (hasFacts()) scheduleScore();
}

function showDiagnostics() {
  const list = $("diagnostics");
  const ds = state.diagnostics;
  $("problem-count").textContent = ds.length ? `(${ds.length})` : "";
  if (!ds.length) {
    list.innerHTML = `<li class="ok">✔ ${escapeHtml(t("noProblems"))}</li>`;
    return;
  }
  list.innerHTML = ds.map((d, i) => {
    // the message (its first line) wraps inside the panel; the source line and its carets below it stay
    // as laid out, aligned, and scroll sideways when long
    const [message, ...code] = (state.lang === "zh" ? d.renderedZh : d.rendered).split("\n");
    const below = code.length ? `\n<span class="code">${escapeHtml(code.join("\n"))}</span>` : "";
    return `<li class="${d.severity}" data-index="${i}"><pre><span class="message">${escapeHtml(message)}</span>` +
      `${below}</pre></li>`;
  }).join("");
}

function showOutline() {
  const rubric = state.rubric;
  if (!rubric) { $("outline").innerHTML = ""; return; }
  const sections = rubric.sections || [];
  const indicators = rubric.indicators || [];
  const children = (parent) => {
    const items = sections.filter((s) => (s.parent || "") === parent).map((s) =>
      `<li>${escapeHtml(s.label)} <span class="w">${escapeHtml(s.weight)}</span>${children(s.id)}</li>`);
    const own = indicators.filter((i) => (i.section || "") === parent).map((i) =>
      `<li>· ${escapeHtml(i.label)} <span class="w">${escapeHtml(i.weight)}</span></li>`);
    return items.length || own.length ? `<ul>${items.join("")}${own.join("")}</ul>` : "";
  };
  const inputs = (rubric.inputs || []).map((i) => escapeHtml(i.label || i.name)).join("、");
  $("outline").innerHTML = `<strong>${escapeHtml(rubric.title)}</strong> <span class="w">${escapeHtml(rubric.id)} · ` +
    `${escapeHtml(rubric.total)}</span>${children("")}<div class="inputs">${escapeHtml(t("inputs"))}：${inputs}</div>`;
}

// --- the facts form -----------------------------------------------------------------------------------------

function buildFacts() {
  const form = $("facts");
  const kept = currentFacts();
  form.innerHTML = "";
  for (const input of state.rubric.inputs || []) {
    const label = document.createElement("label");
    label.dataset.fact = input.name;
    const kind = (input.kind || "").replace("INPUT_KIND_", "").toLowerCase();
    let field;
    if (kind === "choice" || kind === "flag") {
      field = document.createElement("select");
      const options = kind === "flag" ? [["", ""], ["true", t("yes")], ["false", t("no")]]
        : [["", ""], ...(input.choices || []).map((c) => [c, c])];
      for (const [value, text] of options) field.add(new Option(text, value));
    } else {
      field = document.createElement("input");
      field.type = "text";
      field.inputMode = "decimal";
      if (input.defaultValue !== undefined) field.placeholder = input.defaultValue;
    }
    field.name = input.name;
    if (kept[input.name] !== undefined) field.value = kept[input.name];
    const hints = [];
    if (input.minimum !== undefined || input.maximum !== undefined) {
      hints.push(`${t("range")} ${input.minimum ?? ""} .. ${input.maximum ?? ""}`);
    }
    if (input.unit) hints.push(`${t("unit")} ${input.unit}`);
    if (kind === "percent") hints.push("%");
    if (input.defaultValue !== undefined) hints.push(`${t("defaultValue")} ${input.defaultValue}`);
    label.innerHTML = `<span>${escapeHtml(input.label || input.name)} <span class="name">${escapeHtml(input.name)}</span></span>`;
    label.append(field);
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = hints.join(" · ");
    label.append(hint);
    const problem = document.createElement("span");
    problem.className = "problem";
    label.append(problem);
    form.append(label);
  }
  if (!hasFacts()) $("result").innerHTML = `<p class="hint">${escapeHtml(t("fillIn"))}</p>`;
}

function currentFacts() {
  const facts = {};
  for (const field of $("facts").elements) {
    if (field.name && field.value !== "") facts[field.name] = field.value;
  }
  return facts;
}

function hasFacts() { return Object.keys(currentFacts()).length > 0; }

let scoreTimer = null;
function scheduleScore() {
  clearTimeout(scoreTimer);
  scoreTimer = setTimeout(score, 200);
}

const score = serial(scoreNow);

async function scoreNow() {
  if (!state.rubric || state.broken) return;
  const seq = ++state.scoreSeq;
  let reply;
  try {
    reply = await call("/v1/studio/score", { ...draft(), facts: currentFacts(), lang: state.lang });
  } catch (error) {
    if (seq === state.scoreSeq) $("result").innerHTML = `<p class="error">${escapeHtml(error.message)}</p>`;
    return;
  }
  if (seq !== state.scoreSeq) return;
  for (const label of $("facts").querySelectorAll("label")) {
    label.classList.remove("invalid");
    label.querySelector(".problem").textContent = "";
  }
  if (reply.error) {
    const missing = [];
    for (const v of reply.error.fieldViolations) {
      const name = v.field.replace(/^facts\./, "");
      const label = $("facts").querySelector(`label[data-fact="${CSS.escape(name)}"]`);
      if (v.reason === "missing") { missing.push(name); continue; }
      if (label) {
        label.classList.add("invalid");
        label.querySelector(".problem").textContent = v.description;
      }
    }
    const labels = new Map((state.rubric.inputs || []).map((i) => [i.name, i.label || i.name]));
    const sep = state.lang === "zh" ? ["（", "）：", "、"] : [" (", "): ", ", "];
    const wanted = missing.length ? `<p class="hint">${escapeHtml(t("missing") + sep[0] + missing.length + sep[1] +
      missing.map((name) => labels.get(name) || name).join(sep[2]))}</p>` : "";
    const bad = reply.error.fieldViolations.filter((v) => v.reason !== "missing").length;
    $("result").innerHTML = (bad ? `<p class="error">${escapeHtml(reply.error.message)}</p>` : "") + wanted;
    return;
  }
  const r = reply.result;
  const lost = new Map((r.lost || []).map((l) => [l.id, l]));
  const rows = (r.indicators || []).map((i) => {
    const l = lost.get(i.id);
    return `<tr class="${l ? "lost" : ""}"><td>${escapeHtml(i.label)}</td><td class="pts">${escapeHtml(i.points)} / ` +
      `${escapeHtml(i.maxPoints)}${l ? ` (−${escapeHtml(l.lost)})` : ""}</td><td>${escapeHtml(i.explanation || "")}</td></tr>`;
  }).join("");
  $("result").innerHTML = `<div><span data-t="total">${escapeHtml(t("total"))}</span> <span class="total" id="total">` +
    `${escapeHtml(r.total)}</span><span class="grade" id="grade">${escapeHtml(r.grade)}</span></div>` +
    `<table><thead><tr><th>${t("indicator")}</th><th>${t("points")}</th><th>${t("explanation")}</th></tr></thead>` +
    `<tbody>${rows}</tbody></table>`;
  $("sheet").srcdoc = reply.sheet;
}

// --- test cases and coverage --------------------------------------------------------------------------------

async function runTests() {
  let reply;
  try {
    reply = await call("/v1/studio/tests", draft());
  } catch (error) {
    setStatus(error.message);
    return;
  }
  if (!reply.file) {
    $("tests").innerHTML = `<li>${escapeHtml(t("noTests"))}</li>`;
    return;
  }
  $("tests").innerHTML = reply.cases.map((c) => `<li class="${c.passed ? "pass" : "fail"}">${escapeHtml(c.name)}` +
    c.failures.map((f) => `<div class="failure">${escapeHtml(f)}</div>`).join("") + "</li>").join("");
  const cov = reply.coverage;
  $("test-summary").textContent = `${reply.passed} ${t("passed")}, ${reply.failed} ${t("failed")}` +
    (cov ? ` · ${cov.reached}/${cov.clauses} ${t("clauses")} ${t("reached")}` : "");
  state.coverage = cov ? cov.lines : [];
  render();
}

// --- files, saving, formatting ------------------------------------------------------------------------------

async function openFile(path) {
  const reply = await call("/v1/studio/file?path=" + encodeURIComponent(path));
  state.path = path;
  $("source").value = reply.source;
  $("facts").innerHTML = "";
  state.rubric = null;
  $("tests").innerHTML = "";
  $("test-summary").textContent = "";
  history.replaceState(null, "", "#" + encodeURIComponent(path));
  render();
  await analyze();
}

async function formatSource() {
  const reply = await call("/v1/format", draft());
  if (!reply.ok) {
    state.diagnostics = reply.diagnostics;
    showDiagnostics();
    render();
    return;
  }
  if (reply.changed) {
    $("source").value = reply.source;
    render();
    scheduleAnalyze();
  }
  setStatus(reply.changed ? t("formatted") : t("unchanged"));
}

async function save() {
  try {
    await call("/v1/studio/save", draft());
    setStatus(t("saved"));
  } catch (error) {
    setStatus(error.message);
  }
}

async function download() {
  const response = await call("/v1/studio/sheet", { ...draft(), facts: currentFacts(), format: "xlsx" }, true);
  if (!response.ok) { setStatus((await response.json()).message); return; }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = (state.rubric ? state.rubric.id : "sheet") + ".xlsx";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function translate() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  if (state.info) {
    $("mode").textContent = t(state.info.writable ? "studio" : "server");
  }
  showDiagnostics();
}

async function start() {
  $("lang").value = state.lang;
  $("lang").addEventListener("change", () => {
    state.lang = $("lang").value;
    localStorage.setItem("rubric.lang", state.lang);
    translate();
    if (state.rubric) buildFacts();
    if (hasFacts()) scheduleScore();
  });
  $("token").addEventListener("change", () => {
    sessionStorage.setItem("rubric.token", $("token").value);
    start();
  });
  const area = $("source");
  area.addEventListener("input", () => { render(); scheduleAnalyze(); });
  area.addEventListener("scroll", syncScroll);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Tab") {
      event.preventDefault();
      document.execCommand("insertText", false, "  ");
    }
  });
  $("diagnostics").addEventListener("click", (event) => {
    const item = event.target.closest("li[data-index]");
    if (!item) return;
    const d = state.diagnostics[Number(item.dataset.index)];
    const lines = area.value.split("\n");
    const offset = lines.slice(0, d.line - 1).reduce((n, l) => n + l.length + 1, 0) + d.column - 1;
    area.focus();
    area.setSelectionRange(offset, offset);
    area.scrollTop = Math.max(0, (d.line - 5) * 20);
  });
  $("facts").addEventListener("input", scheduleScore);
  $("facts").addEventListener("change", scheduleScore);
  $("format").addEventListener("click", formatSource);
  $("save").addEventListener("click", save);
  $("run-tests").addEventListener("click", runTests);
  $("download").addEventListener("click", download);
  $("file").addEventListener("change", () => openFile($("file").value));
  try {
    state.info = await call("/v1/studio/info");
  } catch (error) {
    setStatus(error.message);
    return;
  }
  $("mode").className = "badge" + (state.info.writable ? " studio" : "");
  $("save").disabled = !state.info.writable;
  $("file").innerHTML = "";
  for (const f of state.info.files) $("file").add(new Option(f.id ? `${f.path} (${f.id})` : f.path, f.path));
  translate();
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = state.info.files.find((f) => f.path === wanted) || state.info.files[0];
  if (first) {
    $("file").value = first.path;
    await openFile(first.path);
  }
}

start();
