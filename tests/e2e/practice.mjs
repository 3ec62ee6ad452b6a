// Drives the practice page in Debian's headless Chromium: load items, play
// audio, type, check, translate, ask for a new voice, see marked words (a number typed as heard, a
// misspelling next to a missing word), a failed item, the progress chart at
// phone and desktop sizes, and a server that has gone away.
// Usage: node practice.mjs <base-url> <screenshot-dir>
// Near the end it prints `e2e: stop-server` and waits for a line on stdin
// saying the server is stopped.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const fail = (msg) => { console.error(`e2e: ${msg}`); process.exit(1); };
const stdin = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => stdin.once("line", resolve));

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required"],
});
try {
  const page = await browser.newPage({ viewport: PHONE });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const notFound = [];
  page.on("response", (r) => { if (r.status() === 404) notFound.push(r.url()); });
  let step = 0;
  const shot = async (name) => {
    const size = page.viewportSize();
    await page.screenshot({ path: `${shots}/${String(++step).padStart(2, "0")}-${name}-${size.width}x${size.height}.png`, fullPage: true });
  };
  const marked = () => page.$$eval("#diff > span", (s) => s.map((e) => `${e.className}:${e.textContent}`));

  // Every visible text at least 11 px and inside the viewport; chart labels
  // inside the chart.
  const checkLayout = async (where) => {
    const problems = await page.evaluate(() => {
      const out = [];
      const width = document.documentElement.clientWidth;
      for (const el of document.querySelectorAll("body *")) {
        const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        if (!ownText) continue;
        const rects = el.getClientRects();
        if (!rects.length) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden") continue;
        const size = parseFloat(style.fontSize);
        const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${el.textContent.trim().slice(0, 20)}"`;
        if (size < 11) out.push(`${name}: ${size}px text`);
        for (const r of rects) {
          if (r.left < -0.5 || r.right > width + 0.5) out.push(`${name}: ${Math.round(r.left)}..${Math.round(r.right)} outside 0..${width}`);
        }
      }
      const svg = document.querySelector("#chart svg");
      if (svg) {
        const box = svg.getBoundingClientRect();
        for (const t of svg.querySelectorAll("text")) {
          const r = t.getBoundingClientRect();
          if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
            out.push(`chart label "${t.textContent}" clipped: ${Math.round(r.left)}..${Math.round(r.right)} x ${Math.round(r.top)}..${Math.round(r.bottom)} in ${Math.round(box.left)}..${Math.round(box.right)} x ${Math.round(box.top)}..${Math.round(box.bottom)}`);
          }
        }
      }
      return out;
    });
    if (problems.length) fail(`${where}: ${problems.join("; ")}`);
  };

  await page.goto(base);
  await page.waitForSelector("#exercise:not([hidden])", { timeout: 15000 });
  const count = await page.textContent("#item-count");
  if (!/Item 1 of 5/.test(count)) fail(`unexpected item count: ${count}`);
  await shot("loaded");

  // The audio element loads the item's WAV and reports its duration.
  await page.waitForFunction(() => document.getElementById("audio").duration > 0, null, { timeout: 15000 });
  const duration = await page.evaluate(() => document.getElementById("audio").duration);
  if (!(duration > 0.1)) fail(`audio duration ${duration}`);
  await page.click("#play");
  await page.check("#slow");
  await shot("audio");

  // Type with one wrong word; Enter checks. The result area is announced.
  if ((await page.getAttribute("#result", "aria-live")) !== "polite") fail("result area is not aria-live");
  await page.fill("#answer", "hei maalima");
  await page.press("#answer", "Enter");
  await page.waitForSelector("#result:not([hidden])");
  const score = await page.textContent("#score");
  if (score.trim() !== "50 %") fail(`score ${score}`);
  if ((await page.textContent("#exact-score")).trim() !== "") fail("exact score shown although it is the same");
  const first = await marked();
  const expected = ["op-equal:Hei", "op-substitute:maailma → maalima"];
  if (JSON.stringify(first) !== JSON.stringify(expected)) fail(`marked words ${JSON.stringify(first)}`);
  await shot("checked");

  // The translation helper: closed until asked for, its languages from
  // /metadata without the item's own, the text from the provider.
  if (await page.isHidden("#translation")) fail("no translation helper");
  if ((await page.getAttribute("#translation", "open")) !== null) fail("translation open before asked");
  await page.click("#translation summary");
  const langs = await page.$$eval("#translation-lang option", (o) => o.map((e) => `${e.value}:${e.textContent}`));
  if (JSON.stringify(langs) !== JSON.stringify(["en:English", "zh-CN:简体中文", "zh-TW:繁體中文"])) fail(`translation languages ${JSON.stringify(langs)}`);
  await page.selectOption("#translation-lang", "en");
  await page.click("#translate");
  await page.waitForFunction(() => document.getElementById("translation-text").textContent === "Hello world!", null, { timeout: 10000 })
    .catch(async () => fail(`translation ${await page.textContent("#translation-text")}`));
  await shot("translation");

  // New voice: the audio is made again, and the new audio plays when ready.
  const oldSrc = await page.getAttribute("#audio", "src");
  const refreshed = page.waitForResponse((r) => r.request().method() === "POST" && /\/v1\/items\/\d+\/audio\/refresh$/.test(r.url()));
  await page.click("#new-voice");
  if ((await refreshed).status() !== 202) fail("audio refresh was not accepted");
  await page.waitForFunction((old) => {
    const a = document.getElementById("audio");
    return a.src && a.src !== old && a.duration > 0;
  }, oldSrc, { timeout: 20000 }).catch(() => fail("the new audio was not loaded"));
  await shot("new-voice");

  // Enter again moves on to the next item.
  await page.press("#answer", "Enter");
  await page.waitForFunction(() => /Item 2 of 5/.test(document.getElementById("item-count").textContent));
  await page.fill("#answer", "kiitos paljon");
  await page.click("#submit");
  await page.waitForSelector("#result:not([hidden])");
  if ((await page.textContent("#score")).trim() !== "100 %") fail("second score");
  await shot("second");

  // A number typed as it is said: the headline credits it, every word is
  // green, and the exact-text score is shown beside it.
  await page.click("#next");
  await page.waitForFunction(() => /Item 3 of 5/.test(document.getElementById("item-count").textContent));
  await page.fill("#answer", "juna lähtee kello kahdeksan kolmekymmentä raiteelta viisi");
  await page.press("#answer", "Enter");
  await page.waitForSelector("#result:not([hidden])");
  const headline = (await page.textContent("#score")).trim();
  if (headline !== "100 %") fail(`spoken-form headline ${headline}`);
  const exact = (await page.textContent("#exact-score")).trim();
  if (exact !== "· exact text: 57 %") fail(`exact-text score ${exact}`);
  const spokenPairs = await marked();
  if (spokenPairs.length !== 6 || !spokenPairs.every((p) => p.startsWith("op-equal"))) fail(`spoken-form words ${JSON.stringify(spokenPairs)}`);
  if ((await page.$$("#diff > span.spoken")).length !== 2) fail("8.30 and 5. are not marked as matched by their spoken form");
  if ((await page.textContent("#words-right")).trim() !== "6 of 6 words right") fail(`words right ${await page.textContent("#words-right")}`);
  await shot("spoken-form");

  // A misspelling next to a missing word: one substitution with the
  // missing letter marked, and the missing word.
  await page.press("#answer", "Enter");
  await page.waitForFunction(() => /Item 4 of 5/.test(document.getElementById("item-count").textContent));
  await page.fill("#answer", "minä asun helsingisä");
  await page.press("#answer", "Enter");
  await page.waitForSelector("#result:not([hidden])");
  await page.waitForFunction(() => document.getElementById("diff").children.length === 4);
  const misspelt = await marked();
  const wantMisspelt = ["op-equal:Minä", "op-equal:asun", "op-substitute:Helsingissä → helsingisä", "op-delete:nyt."];
  if (JSON.stringify(misspelt) !== JSON.stringify(wantMisspelt)) fail(`misspelling ${JSON.stringify(misspelt)}`);
  const missing = await page.$$eval("#diff .op-substitute mark.missing", (m) => m.map((e) => e.textContent));
  if (JSON.stringify(missing) !== JSON.stringify(["s"])) fail(`missing letters ${JSON.stringify(missing)}`);
  const delHtml = await page.innerHTML("#diff .op-substitute del");
  if (!/^Helsingi<mark[^>]*>s<\/mark>sä$/.test(delHtml)) fail(`letter marks ${delHtml}`);
  await shot("misspelling");

  // An item whose speech failed: its reason within 2 s, a "try again"
  // button, and no request loop while it waits.
  await page.press("#answer", "Enter");
  const shownAt = Date.now();
  await page.waitForFunction(() => /Item 5 of 5/.test(document.getElementById("item-count").textContent));
  await page.waitForSelector("#audio-status[data-failure]", { timeout: 2000 })
    .catch(() => fail("the failed item's reason was not shown within 2 s"));
  const failedAfter = Date.now() - shownAt;
  const reason = await page.textContent("#audio-status");
  if (!/cannot read/.test(reason) || !/unspeakable_text/.test(reason)) fail(`failure reason ${reason}`);
  if (await page.isHidden("#retry-audio")) fail("no try-again button");
  const itemId = (await page.evaluate(() => state.items[state.index].id));
  const before = requests.filter((u) => u.includes(`/v1/items/${itemId}/`)).length;
  await page.waitForTimeout(3000);
  const during = requests.filter((u) => u.includes(`/v1/items/${itemId}/`)).length - before;
  if (during !== 0) fail(`${during} requests for the failed item while it sat there`);
  await shot("failed-item");
  const retried = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/items/${itemId}/tts/retry`));
  await page.click("#retry-audio");
  await retried;
  await page.waitForSelector("#audio-status[data-failure]", { timeout: 5000 })
    .catch(() => fail("the retried item's failure was not shown again"));
  console.log(`e2e: failed item shown after ${failedAfter} ms`);

  // Progress at phone size: today's bar, the learner-facing score, the
  // missed words (the number typed as heard is not one of them).
  await page.click("#tab-progress");
  await page.waitForFunction(() => document.getElementById("chart").dataset.days === "1", null, { timeout: 10000 });
  await page.waitForSelector("#missed li");
  const missed = await page.$$eval("#missed li", (l) => l.map((e) => e.textContent));
  const wantMissed = ["helsingissä — missed 1 of 1", "maailma — missed 1 of 1", "nyt — missed 1 of 1"];
  if (JSON.stringify(missed) !== JSON.stringify(wantMissed)) fail(`missed words: ${JSON.stringify(missed)}`);
  const labels = await page.$$eval("#chart svg text", (t) => t.map((e) => e.textContent));
  for (const want of ["attempts", "score", "100 %", "0 %"]) {
    if (!labels.includes(want)) fail(`chart label ${want} missing: ${JSON.stringify(labels)}`);
  }
  // (50 + 100 + 100 + 50) / 4 learner-facing scores today.
  if (!labels.includes("75 %")) fail(`today's score label missing: ${JSON.stringify(labels)}`);
  if ((await page.$$("#chart svg rect.bar")).length !== 1) fail("one day should be one bar");
  const barWidth = await page.$eval("#chart svg rect.bar", (r) => r.getBoundingClientRect().width);
  const chartWidth = await page.$eval("#chart svg", (s) => s.getBoundingClientRect().width);
  if (barWidth > chartWidth / 10) fail(`a single day's bar is ${barWidth}px of ${chartWidth}px`);
  await checkLayout("progress 390x844");
  await shot("progress");

  // The same at desktop size.
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(300);
  await checkLayout("progress 1280x900");
  await shot("progress");
  await page.click("#tab-practice");
  await checkLayout("practice 1280x900");
  await shot("practice");
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
  await checkLayout("practice 390x844");

  // The server goes away: Progress says so instead of showing empty data,
  // and so does Practice.
  console.log("e2e: stop-server");
  if ((await nextLine()) !== "stopped") fail("server not stopped");
  await page.click("#tab-progress");
  await page.waitForSelector("#progress-status.error", { timeout: 10000 })
    .catch(() => fail("no error on Progress with the server stopped"));
  const down = await page.textContent("#progress-status");
  if (!/Could not load progress: cannot reach the server/.test(down)) fail(`progress error ${down}`);
  if (!(await page.isHidden("#chart-box")) || !(await page.isHidden("#chart-empty"))) fail("chart or 'no attempts' shown with the server down");
  if ((await page.$$("#missed li")).length) fail("missed words shown with the server down");
  if (await page.isHidden("#banner")) fail("no banner with the server down");
  await checkLayout("server down 390x844");
  await shot("server-down");
  await page.click("#tab-practice");
  await page.click("#load");
  await page.waitForSelector("#item-count.error", { timeout: 10000 })
    .catch(() => fail("no error on Practice with the server stopped"));
  await shot("server-down");

  // Enter in the API-key field saves it (and asks again).
  await page.click("#settings summary");
  await page.fill("#api-key", "k-123");
  await page.press("#api-key", "Enter");
  const saved = await page.evaluate(() => localStorage.getItem("lw-api-key"));
  if (saved !== "k-123") fail(`Enter did not save the key: ${saved}`);

  const noIcon = notFound.filter((u) => !u.includes("/audio"));
  if (noIcon.length) fail(`404s: ${JSON.stringify(noIcon)}`);
  console.log(`e2e: ok (${step} screenshots in ${shots})`);
} finally {
  stdin.close();
  await browser.close();
}
