// Drives the practice page in Debian's headless Chromium: load items, play
// audio, type, check, see marked words, open the progress chart.
// Usage: node practice.mjs <base-url> <screenshot-dir>
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const fail = (msg) => { console.error(`e2e: ${msg}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required"],
});
try {
  const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  let step = 0;
  const shot = (name) => page.screenshot({ path: `${shots}/${String(++step).padStart(2, "0")}-${name}.png`, fullPage: true });

  await page.goto(base);
  await page.waitForSelector("#exercise:not([hidden])", { timeout: 15000 });
  const count = await page.textContent("#item-count");
  if (!/Item 1 of 2/.test(count)) fail(`unexpected item count: ${count}`);
  await shot("loaded");

  // The audio element loads the item's WAV and reports its duration.
  await page.waitForFunction(() => document.getElementById("audio").duration > 0, null, { timeout: 15000 });
  const duration = await page.evaluate(() => document.getElementById("audio").duration);
  if (!(duration > 0.1)) fail(`audio duration ${duration}`);
  await page.click("#play");
  await page.check("#slow");
  await shot("audio");

  // Type with one wrong word and one missing word; Enter checks.
  await page.fill("#answer", "hei maalima");
  await page.press("#answer", "Enter");
  await page.waitForSelector("#result:not([hidden])");
  const score = await page.textContent("#score");
  if (score.trim() !== "50 %") fail(`score ${score}`);
  const marked = await page.$$eval("#diff span", (s) => s.map((e) => `${e.className}:${e.textContent}`));
  const expected = ["op-equal:Hei", "op-substitute:maailma! → maalima"];
  if (JSON.stringify(marked) !== JSON.stringify(expected)) fail(`marked words ${JSON.stringify(marked)}`);
  await shot("checked");

  // Enter again moves on to the next item.
  await page.press("#answer", "Enter");
  await page.waitForFunction(() => /Item 2 of 2/.test(document.getElementById("item-count").textContent));
  await page.fill("#answer", "kiitos paljon");
  await page.click("#submit");
  await page.waitForSelector("#result:not([hidden])");
  if ((await page.textContent("#score")).trim() !== "100 %") fail("second score");
  await shot("second");

  // Progress: a chart with today's bar and the missed word.
  await page.click("#tab-progress");
  await page.waitForFunction(() => document.getElementById("chart").dataset.days === "1", null, { timeout: 10000 });
  await page.waitForSelector("#missed li");
  const missed = await page.textContent("#missed li");
  if (!missed.startsWith("maailma — missed 1 of 1")) fail(`missed words: ${missed}`);
  await shot("progress");
  console.log(`e2e: ok (${step} screenshots in ${shots})`);
} finally {
  await browser.close();
}
