// Drives the system's headless Chromium through Warden's web UI (run by tests/api/ui.rs).
// Argument: a JSON object {base, docs, needle, subject, breaking, compatible, schemaId}.
// Prints "all passed" when every check held; exits non-zero with the failed check otherwise.
"use strict";
const puppeteer = require("puppeteer-core");

const cfg = JSON.parse(process.argv[2]);

function check(ok, what) {
  if (!ok) {
    throw new Error("check failed: " + what);
  }
  console.log("ok: " + what);
}

async function text(page, selector) {
  return page.$eval(selector, (el) => el.innerText);
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);

    // The subjects list: paged, with the registry's config and mode.
    await page.goto(cfg.base + "/ui/", { waitUntil: "load" });
    check((await page.title()).startsWith("Subjects"), "the subjects page loads");
    const rows = await page.$$eval("#subjects tbody tr", (trs) => trs.length);
    check(rows === 50, "the first page lists 50 subjects, not all of them (" + rows + ")");
    check((await text(page, "#result-count")).includes("of 201"), "the list is paged on the server");
    check((await text(page, "#global-level")) === "BACKWARD", "the registry's level is shown");
    await page.screenshot({ path: cfg.docs + "/ui-subjects.png" });

    // Search with the keyboard: "/" focuses the search box, Enter submits.
    await page.keyboard.press("/");
    check(await page.$eval("#q", (el) => el === document.activeElement), "'/' focuses the search box");
    await page.keyboard.type(cfg.needle);
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const found = await page.$$eval("#subjects tbody a", (as) => as.map((a) => a.innerText));
    check(found.length === 1 && found[0] === cfg.needle, "search finds " + cfg.needle + " among the subjects: " + found);

    // The subject page: timeline, highlighted schema, references and referrers.
    await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.subject), { waitUntil: "load" });
    const versions = await page.$$eval("ol.timeline > li", (lis) => lis.length);
    check(versions === 2, "the timeline shows both versions");
    check((await page.$$("pre.code span.k")).length > 0, "the schema is highlighted");
    check((await text(page, "#subject-level")) === "BACKWARD", "the subject's level is shown");
    await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.refSubject), { waitUntil: "load" });
    check((await text(page, "#references")).includes(cfg.refTarget), "references link to the referenced subject");
    await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.refTarget), { waitUntil: "load" });
    check((await page.$$("#referenced-by a")).length === 1, "referencedby links to the referring schema");

    // The diff of the breaking step: the changed field and the rule by name.
    await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.subject) + "/diff?from=1&to=2", { waitUntil: "load" });
    const changes = await text(page, "#changes");
    check(changes.includes("FIELD_ADDED") && changes.includes("/fields/1"), "the diff lists the added field");
    check(changes.includes("READER_FIELD_MISSING_DEFAULT_VALUE"), "the diff names the rule it breaks");
    const marked = await page.$$eval("pre.code .chg-bad", (ls) => ls.map((l) => l.innerText).join(""));
    check(marked.includes('"age"'), "the new text marks the field 'age' as breaking");
    // Each level's row: its name (with the subject's-level badge) and its verdict cell.
    const levels = await page.$$eval("#levels tbody tr", (rows) =>
      Object.fromEntries(rows.map((r) => [r.querySelector("th").innerText.trim().split(/\s/)[0], r.querySelector("td").innerText.trim()])));
    check(levels["BACKWARD"] === "incompatible", "BACKWARD's row says incompatible: " + JSON.stringify(levels));
    check(levels["FORWARD"] === "compatible" && levels["NONE"] === "compatible", "FORWARD's and NONE's rows say compatible: " + JSON.stringify(levels));
    await page.screenshot({ path: cfg.docs + "/ui-diff.png", fullPage: true });

    // "Check a new version": the breaking schema is refused under BACKWARD, the other passes.
    for (const [schema, expected] of [[cfg.breaking, "incompatible"], [cfg.compatible, "compatible"]]) {
      await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.subject), { waitUntil: "load" });
      await page.focus("#check-schema");
      await page.$eval("#check-schema", (el, v) => { el.value = v; }, schema);
      // Ctrl+Enter in the box submits it.
      await Promise.all([page.waitForNavigation(), page.keyboard.down("Control").then(() => page.keyboard.press("Enter"))]);
      await page.keyboard.up("Control");
      const verdict = await text(page, "#verdict");
      check(verdict.includes("BACKWARD") && verdict.trim().endsWith(expected), "the check box says " + expected + ": " + verdict);
    }

    // A schema by id and the versions using it.
    await page.goto(cfg.base + "/ui/schemas/" + cfg.schemaId, { waitUntil: "load" });
    check((await text(page, "#used-by")).includes(cfg.subject + " version 1"), "the schema page lists its users");

    // Config edited from the subject page (no authentication: everyone may).
    await page.goto(cfg.base + "/ui/subjects/" + encodeURIComponent(cfg.subject), { waitUntil: "load" });
    await page.select('form[action$="/config"] select', "FULL");
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/config"] button')]);
    check((await text(page, "#subject-level")) === "FULL", "the level set from the page is the subject's level");

    // The system's dark preference gives the dark palette.
    const light = await page.$eval("body", (b) => getComputedStyle(b).backgroundColor);
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
    const dark = await page.$eval("body", (b) => getComputedStyle(b).backgroundColor);
    check(light !== dark, "prefers-color-scheme: dark changes the palette (" + light + " → " + dark + ")");

    console.log("all passed");
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
