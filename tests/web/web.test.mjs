// Browser tests of the web dashboard: playwright-core driving Debian's
// Chromium against the network tests/web/run.sh starts (a `fengqiao demo`
// serving the district's and a township's dashboard over HTTP on loopback,
// and a `fengqiao node` of its own serving its dashboard over TLS). Run by
// run.sh, which passes what it started in WEB_* variables; `node --test`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { PAGES } from "./pages.mjs";

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run tests/web/run.sh)`);
  return value;
};

const DEMO = {
  district: env("WEB_DISTRICT_BASE"), // http://127.0.0.1:P of the district's dashboard
  township: env("WEB_TOWNSHIP_BASE"),
  districtLink: env("WEB_DISTRICT_LINK"),
  townshipLink: env("WEB_TOWNSHIP_LINK"),
  // --server … --ca … --cert … --key …: the district node's gRPC, as its leader
  summaryFlags: env("WEB_SUMMARY_FLAGS").split(/\s+/).filter(Boolean),
};
const TLS = {
  base: env("WEB_TLS_BASE"), // https://127.0.0.1:P of the node with TLS
  unit: env("WEB_TLS_UNIT"),
  cert: env("WEB_TLS_CERT"), // a leader's client certificate of its CA
  key: env("WEB_TLS_KEY"),
  expiredLink: env("WEB_EXPIRED_LINK"), // a one-minute link issued at start-up
  expiresAt: Number(env("WEB_EXPIRED_AT")) * 1000,
};
const BINARY = env("WEB_BINARY");
// The receipt the demo handed its petitioner: the public tracker's page.
const TRACK = { url: env("WEB_TRACK_URL"), caseId: env("WEB_TRACK_CASE"), code: env("WEB_TRACK_CODE") };
const SCREENSHOTS = env("WEB_SCREENSHOTS");
const DOC_SCREENSHOT = process.env.WEB_DOC_SCREENSHOT; // set to refresh docs/dashboard-overview.png
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const VIEWPORTS = [
  { name: "desktop", viewport: { width: 1366, height: 768 } },
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
];

let browser;
// The session cookies of the district leader and the township admin.
const sessions = {};
// The units of the network, read from the pages.
const units = {};

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

/** A new page that records console errors and page errors. */
async function watchedPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`pageerror: ${error.message}`));
  // Which resource a "Failed to load resource" was.
  page.on("response", (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== "document") {
      page.problems.push(`resource: ${response.status()} ${response.url()}`);
    }
  });
  return page;
}

/** The problems of a page, less the browser's note of the document's own
 * expected status (an error page answers 403 or 404 on purpose). */
function problems(page, status) {
  return page.problems.filter(
    (p) => status < 400 || !p.includes(`the server responded with a status of ${status}`),
  );
}

/** Opens a login link in a fresh context: the context and the response. */
async function logIn(link, options = {}) {
  const context = await browser.newContext(options);
  const page = await watchedPage(context);
  const response = await page.goto(link);
  return { context, page, response };
}

/** Every `data-figure` of the page: name → data-value. */
async function figures(page) {
  return page.$$eval("[data-figure]", (elements) =>
    Object.fromEntries(elements.map((e) => [e.dataset.figure, e.dataset.value])),
  );
}

/** `fengqiao summary --json` of `unit` and `week` from the district node. */
function weeklySummary(unit, week) {
  const out = execFileSync(
    BINARY,
    ["summary", ...DEMO.summaryFlags, "--unit", unit, "--week", week, "--json"],
    { encoding: "utf8" },
  );
  return JSON.parse(out);
}

/** What the overview should show, from the summary's JSON. */
function expectedFigures(summary) {
  const t = summary.totals;
  const c = summary.cases; // flat: registered, accepted_on_time, …, satisfaction_rate
  const figures = {
    expected: t.expected,
    received: t.received,
    completeness_percent: summary.rates.completeness_percent,
    on_time: t.on_time,
    timeliness_percent: summary.rates.timeliness_percent,
    late: t.late,
    zero_reports: t.zero_reports,
    missing: t.missing,
    disputes: t.disputes,
    parties: t.parties,
    resolved_on_the_spot_percent: summary.rates.resolved_on_the_spot_percent,
    "wage.disputes": t.wage_arrears.disputes,
    "wage.workers": t.wage_arrears.workers,
    "wage.amount_claimed_cents": t.wage_arrears.amount_claimed_cents,
    "wage.amount_recovered_cents": t.wage_arrears.amount_recovered_cents,
    "wage.employers": t.wage_arrears.employers,
    "cases.registered": c.registered,
    "cases.accepted_on_time": c.accepted_on_time,
    "cases.closed": c.closed,
    "cases.closed_on_time": c.closed_on_time,
    "cases.overdue": c.overdue,
    "cases.repeat_petitions": c.repeat_petitions,
    "cases.satisfaction_rate": c.satisfaction_rate,
    "cases.petitioner_satisfied": c.petitioner_satisfied,
    "cases.petitioner_dissatisfied": c.petitioner_dissatisfied,
    arrived_percent: summary.arrived_percent,
  };
  for (const [category, n] of Object.entries(t.by_category ?? {})) figures[`category.${category}`] = n;
  return figures;
}

/** A figure as shown (data-value) equals the JSON's: numbers as numbers. */
function sameFigure(shown, wanted) {
  if (wanted === null || wanted === undefined) return shown === "" || shown === "None";
  if (typeof wanted === "number") return shown !== "" && Math.abs(Number(shown) - wanted) < 1e-9;
  return String(wanted) === shown;
}

/** Checks every figure of an overview page against WeeklySummary. */
async function checkFigures(page, unit) {
  const week = await page.getAttribute("[data-week]", "data-week");
  const shown = await figures(page);
  const wanted = expectedFigures(weeklySummary(unit, week));
  assert.ok(Object.keys(shown).length >= 20, `${unit}: the overview shows its figures`);
  assert.deepEqual(Object.keys(shown).sort(), Object.keys(wanted).sort(), `${unit} ${week}: the same figures`);
  for (const [name, value] of Object.entries(wanted)) {
    assert.ok(sameFigure(shown[name], value), `${unit} ${week}: ${name} shown ${shown[name]}, WeeklySummary ${value}`);
  }
  return week;
}

test("a login link opens a session (district leader, township admin)", async () => {
  for (const [who, link, base] of [
    ["district", DEMO.districtLink, DEMO.district],
    ["township", DEMO.townshipLink, DEMO.township],
  ]) {
    const { context, page, response } = await logIn(link);
    assert.equal(response.status(), 200, `${who}: the link lands on the overview`);
    assert.match(page.url(), /\/unit\/\d+/, `${who}: redirected to the unit's overview`);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.httpOnly && c.sameSite === "Strict");
    assert.ok(session, `${who}: an HttpOnly, SameSite=Strict session cookie`);
    sessions[who] = { base, cookies };
    if (who === "district") {
      units.district = await page.getAttribute("h1 [data-unit]", "data-unit");
    } else {
      units.township = await page.getAttribute("h1 [data-unit]", "data-unit");
    }
    assert.deepEqual(problems(page, 200), [], `${who}: no console error`);
    await context.close();
  }
});

test("a used login link is refused", async () => {
  const { context, response, page } = await logIn(DEMO.districtLink);
  assert.equal(response.status(), 403);
  assert.ok(await page.locator("[data-refusal]").count(), "the refusal page");
  await context.close();
});

test("an unknown login link is refused", async () => {
  const { context, response } = await logIn(`${DEMO.district}/login?token=00${"ab".repeat(16)}`);
  assert.equal(response.status(), 403);
  await context.close();
});

/** A context with the session of `who` ("district" or "township"). */
async function sessionContext(who, options = {}) {
  assert.ok(sessions[who], `${who}: logged in by the first test`);
  const context = await browser.newContext(options);
  await context.addCookies(sessions[who].cookies);
  return context;
}

test("drill-down district → township → community → group by clicks, figures equal WeeklySummary", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  await page.goto(`${DEMO.district}/`);
  const path = [];
  for (const tier of ["district", "township", "community", "group"]) {
    const unit = await page.getAttribute("h1 [data-unit]", "data-unit");
    path.push(unit);
    units[tier] ??= unit;
    await checkFigures(page, unit);
    const crumbs = await page.locator("nav.crumbs li a").count();
    assert.equal(crumbs, path.length - 1, `${unit}: a breadcrumb of ${path.length - 1} links`);
    if (tier === "district") {
      const children = await page.$$eval("tr[data-child]", (rows) => rows.map((r) => r.dataset.child));
      units.otherTownship = children.find((c) => c !== units.township);
      assert.ok(units.otherTownship, "a second township in the scorecard");
    }
    if (tier === "group") {
      assert.equal(await page.locator("tr[data-child]").count(), 0, "a group has no children");
      break;
    }
    // The first child of the scorecard (the township with a node, on the district page).
    const row = tier === "district" ? `tr[data-child="${units.township}"]` : "tr[data-child]";
    await Promise.all([page.waitForURL(/\/unit\/\d+/), page.locator(`${row} th a`).first().click()]);
    assert.notEqual(await page.getAttribute("h1 [data-unit]", "data-unit"), unit, "one tier down");
  }
  assert.equal(path[1], units.township);
  // Back up by the breadcrumb: its first link is the district.
  await Promise.all([page.waitForURL(/\/unit\/\d+/), page.locator("nav.crumbs li a").first().click()]);
  assert.equal(await page.getAttribute("h1 [data-unit]", "data-unit"), path[0], "the breadcrumb leads back up");
  assert.deepEqual(problems(page, 200), [], "no console error on the way");
  await context.close();
});

test("the ledger's overdue cases open, each with its days overdue and its log", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  await page.goto(`${DEMO.district}/unit/${units.district}/cases?overdue=1`);
  const rows = page.locator("tr[data-case]");
  assert.ok((await rows.count()) > 0, "the demo has overdue cases");
  const listed = Number(await page.getAttribute('[data-figure="cases.listed"]', "data-value"));
  assert.equal(listed, await rows.count(), "the count shown is the rows listed");
  assert.equal(await page.locator("tr[data-case]:not(.overdue)").count(), 0, "every row is marked overdue");
  const caseId = await rows.first().getAttribute("data-case");
  await Promise.all([page.waitForURL(/\/case\//), page.locator(`a[href="/case/${caseId}"]`).first().click()]);
  units.overdueCase = caseId;
  const days = Number(await page.getAttribute('[data-figure="case.days_overdue"]', "data-value"));
  assert.ok(days > 0, `${caseId}: days overdue shown (${days})`);
  assert.ok((await page.locator("tr[data-event]").count()) > 0, `${caseId}: its log`);
  assert.deepEqual(problems(page, 200), [], "no console error on the way");
  await context.close();
});

test("a form POST without the CSRF token is refused", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  await page.goto(`${DEMO.district}/`);
  const refused = await page.request.post(`${DEMO.district}/logout`, { form: {}, maxRedirects: 0 });
  assert.equal(refused.status(), 403, "logout without its token");
  const forged = await page.request.post(`${DEMO.district}/logout`, {
    form: { csrf: "00".repeat(16) },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403, "logout with a wrong token");
  const still = await page.goto(`${DEMO.district}/`);
  assert.equal(still.status(), 200, "still logged in");
  await context.close();
});

test("the reporting calendar listens for the cut-off and swaps its grid (htmx, under the CSP)", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  const response = await page.goto(`${DEMO.district}/unit/${units.district}/calendar`);
  assert.equal(response.status(), 200);
  await page.waitForSelector('#calendar[data-live="open"]');
  const children = await page.locator("tr[data-child]").count();
  assert.ok(children > 0, "a row per township");
  // A township's day holds two hundred groups: with a few missing (as the
  // demo's are) its cell is "missing", its count says how many arrived.
  const cells = await page.$$eval("td[data-state]", (tds) =>
    tds.map((c) => [c.dataset.state, Number(c.dataset.received), Number(c.dataset.expected)]),
  );
  assert.ok(cells.some(([s, received]) => s !== "future" && received > 0), "the demo's reports are counted");
  assert.ok(cells.every(([, received, expected]) => received <= expected), "never more received than expected");
  // What calendar.js does at a cut-off event: htmx fetches the grid again.
  await page.evaluate(() => globalThis.htmx.trigger("#calendar-grid", "cutoff"));
  await page.waitForSelector('#calendar[data-updates="1"]');
  assert.equal(await page.locator("tr[data-child]").count(), children, "the same rows after the swap");
  // The event stream answers at once, and stays open (read its head, then let go).
  const [status, type] = await page.evaluate(async (url) => {
    const abort = new AbortController();
    const answer = await fetch(url, { signal: abort.signal });
    abort.abort();
    return [answer.status, answer.headers.get("content-type")];
  }, `/unit/${units.district}/calendar/events`);
  assert.equal(status, 200);
  assert.equal(type, "text/event-stream");
  assert.deepEqual(problems(page, 200), [], "no console error (no inline style from htmx)");
  await context.close();
});

test("the CSV download of a week: a file of the export, refused to another township", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  await page.goto(`${DEMO.district}/unit/${units.district}`);
  const href = await page.getAttribute('a[data-link="download"]', "href");
  assert.match(href, /\/export\.csv\?week=\d{4}-W\d{2}$/, "the overview offers the week's download");
  const answer = await page.request.get(DEMO.district + href);
  assert.equal(answer.status(), 200);
  assert.equal(answer.headers()["content-type"], "text/csv; charset=utf-8");
  assert.match(answer.headers()["content-disposition"], /^attachment; filename="\d+-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
  const body = await answer.body();
  assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], "the byte-order mark first, for Excel and WPS");
  const [header] = body.subarray(3).toString("utf8").split("\n");
  assert.equal(header, "date,unit_id,unit_name,parent_names,revision,reporter,zero,disputes,on_time,accepted_at,first_accepted_at,correction_reason,disputes_json");
  await context.close();
  const township = await sessionContext("township");
  const refused = await township.request.get(`${DEMO.township}/unit/${units.otherTownship}/export.csv`);
  assert.equal(refused.status(), 403, "another township's reports");
  await township.close();
});

// The weekly report's states, as the board marks its rows (data-state).
const WEEKLY_STATES = ["not_filed", "overdue", "filed", "withdrawn", "returned", "approved", "unapproved"];

test("the weekly board shows each report's state; the district leader files from the report page", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  const board = await page.goto(`${DEMO.district}/weekly?unit=${units.district}`);
  assert.equal(board.status(), 200);
  const week = await page.getAttribute("[data-week]", "data-week");
  const states = () =>
    page.$$eval("tr[data-report]", (rows) => rows.map((r) => [r.dataset.report, r.dataset.state, r.cells[1].textContent.trim()]));
  const before = await states();
  assert.ok(before.length >= 3, "the district's own report and one row per township node");
  assert.equal(before[0][0], units.district, "the unit's own report first");
  for (const [unit, state, label] of before) {
    assert.ok(WEEKLY_STATES.includes(state), `${unit}: a known state (${state})`);
    assert.ok(label.length > 0, `${unit}: the state in words`);
  }
  assert.ok(before.some(([unit]) => unit === units.township), "the township node's report has a row");
  const filed = Number(await page.getAttribute('[data-figure="weekly.filed"]', "data-value"));
  assert.equal(filed, before.slice(1).filter(([, s]) => s === "filed" || s === "approved").length, "the count is the rows'");
  // The report page: a leader files the district's own report when the week allows it.
  await page.goto(`${DEMO.district}/weekly/report?unit=${units.district}&week=${week}`);
  const form = page.locator('form[data-action="file"]');
  if ((await form.count()) > 0) {
    await page.fill("#file-main", "本周排查发现的主要矛盾纠纷均已登记。");
    await page.fill("#file-cases", "已化解 3 件，未化解 1 件。");
    await page.fill("#file-help", "无。");
    await page.fill("#file-focus", "欠薪纠纷。");
    await Promise.all([page.waitForURL(/\/weekly\/report\?/), form.locator('button[type="submit"]').click()]);
    assert.equal(await page.getAttribute("[data-state]", "data-state"), "filed", "filed from the form");
    assert.ok((await page.locator("[data-signer]").textContent()).length > 0, "signed");
    await page.goto(`${DEMO.district}/weekly?unit=${units.district}&week=${week}`);
    const after = await states();
    assert.equal(after[0][1], "filed", "the board shows the filing");
    assert.equal(after[0][2], "已报送待审");
    assert.ok(await page.locator(`form[data-action="approve"][data-unit="${units.district}"]`).count(), "the root approves its own");
  }
  assert.deepEqual(problems(page, 200), [], "no console error");
  await context.close();
});

test("the annual report prints to a PDF, without navigation or forms", async () => {
  const context = await sessionContext("district");
  const page = await watchedPage(context);
  const response = await page.goto(`${DEMO.district}/annual?unit=${units.district}`);
  assert.equal(response.status(), 200);
  await page.waitForLoadState("networkidle");
  await page.waitForSelector("#disputes-chart svg");
  await page.waitForSelector("#months-chart svg");
  const shown = await figures(page);
  assert.ok(Object.keys(shown).length >= 30, "the year's figures");
  assert.ok(await page.isVisible("nav.pages"), "on screen: the navigation");
  await page.emulateMedia({ media: "print" });
  const printed = await page.evaluate(() => {
    const display = (selector) => {
      const element = document.querySelector(selector);
      return element ? getComputedStyle(element).display : "absent";
    };
    const body = getComputedStyle(document.body);
    return {
      nav: display("nav.pages"),
      top: display("header.top"),
      logout: display("header.top form"),
      color: body.color,
      background: body.backgroundColor,
    };
  });
  assert.equal(printed.nav, "none", "printed: no navigation");
  assert.equal(printed.top, "none", "printed: no header bar");
  assert.equal(printed.color, "rgb(0, 0, 0)", "printed: black");
  assert.equal(printed.background, "rgb(255, 255, 255)", "printed: on white");
  const pdf = await page.pdf({ format: "A4", printBackground: false });
  assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-", "a PDF");
  assert.ok(pdf.length > 20000, `a PDF of substance (${pdf.length} bytes)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, "annual-print.pdf"), pdf);
  assert.deepEqual(problems(page, 200), [], "no console error");
  await context.close();
});

/** The base URL of a page's session. */
const baseOf = (who) => (who === "township" ? DEMO.township : DEMO.district);

function pathOf(template) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    assert.ok(units[name], `the unit {${name}} is known (from the drill-down test)`);
    return units[name];
  });
}

for (const spec of PAGES) {
  for (const { name: viewportName, ...options } of VIEWPORTS) {
    test(`page ${spec.name} at ${viewportName}: renders, no console error, no serious axe violation`, async () => {
      const who = spec.as ?? "district";
      const status = spec.status ?? 200;
      const context =
        who === "nobody" ? await browser.newContext(options) : await sessionContext(who, options);
      const page = await watchedPage(context);
      const response = await page.goto(baseOf(who) + pathOf(spec.path));
      assert.equal(response.status(), status, `${spec.name}: HTTP status`);
      if (spec.live) {
        await page.waitForSelector('[data-live="open"]');
      } else {
        await page.waitForLoadState("networkidle");
      }
      const csp = response.headers()["content-security-policy"] ?? "";
      assert.match(csp, /script-src 'self'/, "a strict Content-Security-Policy");
      // axe-core evaluated over the DevTools protocol, which the page's CSP
      // does not govern: the page's own scripts stay under the CSP.
      await page.evaluate(AXE);
      const violations = await page.evaluate(async () => {
        const result = await globalThis.axe.run(document, { resultTypes: ["violations"] });
        return result.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      });
      assert.deepEqual(violations, [], `${spec.name}: serious or critical accessibility violations`);
      assert.deepEqual(problems(page, status), [], `${spec.name}: console errors`);
      await page.screenshot({ path: join(SCREENSHOTS, `${spec.name}-${viewportName}.png`), fullPage: true });
      if (DOC_SCREENSHOT && spec.name === "overview-district" && viewportName === "desktop") {
        await page.screenshot({ path: DOC_SCREENSHOT });
      }
      await context.close();
    });
  }
}

test("the petitioner follows the demo's case on the public tracker from a phone, with the receipt", async () => {
  const phone = VIEWPORTS.find((v) => v.name === "phone");
  const { name: _, ...options } = phone;
  const context = await browser.newContext(options);
  const page = await watchedPage(context);
  const look = async (code) => {
    const response = await page.goto(TRACK.url);
    assert.equal(response.status(), 200, "the public page opens without a session");
    await page.fill("#case_id", TRACK.caseId);
    await page.fill("#code", code);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.click("[data-track-form] button[type=submit]"),
    ]);
    await page.waitForLoadState("networkidle");
    return answer.status();
  };
  // A wrong code and an unknown case read the same.
  assert.equal(await look("2222-2222-2222"), 404, "a wrong code: not found");
  const wrong = await page.textContent("[data-message]");
  const caseId = TRACK.caseId;
  TRACK.caseId = `${caseId}-x`;
  assert.equal(await look(TRACK.code), 404, "an unknown case: not found");
  TRACK.caseId = caseId;
  assert.equal(await page.textContent("[data-message]"), wrong, "unknown case and wrong code refused alike");
  // The right pair: the case, closed, with the department's reply; no form
  // to rate again (the demo's petitioner rated it).
  assert.equal(await look(TRACK.code), 200, "the right pair");
  assert.equal(await page.getAttribute("[data-case]", "data-case"), TRACK.caseId);
  assert.match(await page.textContent("[data-public-reply]"), /工资/, "the reply written for the petitioner");
  assert.equal(await page.$("[data-rate]"), null, "rated once: no second rating form");
  const html = await page.content();
  for (const secret of ["演示来访人", "0375-0999999", "demo-leader", "劳动保障监察员", "hrss-director"]) {
    assert.ok(!html.includes(secret), `the public page shows no ${secret}`);
  }
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await globalThis.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
  });
  assert.deepEqual(violations, [], "the public page: serious or critical accessibility violations");
  // The two refusals were 404 documents on purpose; nothing else may fail.
  assert.deepEqual(problems(page, 404), [], "the public page: console errors");
  await page.screenshot({ path: join(SCREENSHOTS, "track-phone.png"), fullPage: true });
  await context.close();
});

test("over TLS, a client certificate of the CA logs in (no link)", async () => {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: TLS.base, certPath: TLS.cert, keyPath: TLS.key }],
  });
  const page = await watchedPage(context);
  const response = await page.goto(`${TLS.base}/`);
  assert.equal(response.status(), 200, "the certificate's person sees the overview");
  assert.equal(await page.getAttribute("h1 [data-unit]", "data-unit"), TLS.unit);
  assert.match(response.headers()["strict-transport-security"] ?? "", /max-age=/, "HSTS over TLS");
  assert.deepEqual(problems(page, 200), [], "no console error");
  await page.screenshot({ path: join(SCREENSHOTS, "tls-certificate-desktop.png") });
  await context.close();

  const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
  const refused = await (await anonymous.newPage()).goto(`${TLS.base}/`);
  assert.equal(refused.status(), 401, "without a certificate or session: the login page");
  await anonymous.close();
});

test("an expired login link is refused", async () => {
  const wait = TLS.expiresAt + 2000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const { context, response, page } = await logIn(TLS.expiredLink, { ignoreHTTPSErrors: true });
  assert.equal(response.status(), 403, "the expired link");
  assert.ok(await page.locator("[data-refusal]").count(), "the refusal page");
  await context.close();
});
