// A person finding hotspots with the LessonL extension in code-server, played by
// playwright-core on Debian's chromium. Started by tests/test_vscode_hotspots_e2e.py with the
// path of a spec.json; prints one JSON line per step done; exits 0 when every step passed, 1
// with the failing step on stderr (and artifacts/hotspots-failure.png), 3 when the browser
// cannot start (the test then skips). The same conventions as vscode_user.mjs.
//
// Steps: "LessonL: Find Hotspots" from the command palette, its progress notification, the
// CodeLens above the hot function, the lens starting the reviewed run (then Cancel), and the
// lens going away once the function is edited (unsaved).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = createRequire(join(spec.tools, 'node_modules', 'x.js'))('playwright-core');
const shot = (name) => page.screenshot({ path: join(spec.artifacts, name) });
const done = (step, extra = {}) => console.log(JSON.stringify({ step, t: Math.round((Date.now() - t0) / 1000), ...extra }));
const t0 = Date.now();
let page;

async function until(what, check, timeoutMs = 60_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    }
    await page.waitForTimeout(everyMs);
  }
}

async function openAt(line) {
  const name = spec.file.split('/').pop();
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(name);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.editor-instance .monaco-editor .view-lines');
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

const lenses = () => page.locator('.monaco-editor .codelens-decoration', { hasText: 'LessonL:' });
const toast = (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

async function lensTexts() {
  return (await lenses().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** The palette command; retried while the server (which registers it) is still starting. */
async function findHotspots() {
  await until('"LessonL: Find Hotspots" to start', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type('LessonL: Find Hotspots');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Find Hotspots' });
    await row.first().waitFor({ state: 'visible', timeout: 5000 });
    await page.keyboard.press('Enter');
    try {
      await toast('finding hotspots').first().waitFor({ state: 'visible', timeout: 5000 });
      return true;
    } catch {
      return false; // "command not found" until the language client registered it
    }
  }, 120_000, 1000);
}

async function main() {
  let browser;
  try {
    browser = await chromium.launch({ executablePath: spec.chromium, args: ['--no-sandbox', '--disable-gpu'], headless: true });
  } catch (err) {
    console.error(`chromium cannot start: ${String(err).split('\n')[0]}`);
    process.exit(3);
  }
  try {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(spec.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    done('workbench');

    // 1. No profile yet: no lens. The palette command, with its progress notification.
    await openAt(spec.line);
    await page.waitForTimeout(1500);
    if ((await lenses().count()) !== 0) {
      throw new Error(`a lens before any profile: ${await lensTexts()}`);
    }
    await findHotspots();
    await shot('hotspots-progress.png');
    const progress = (await toast('finding hotspots').first().innerText()).replace(/\s+/g, ' ');
    if (!progress.includes('Cancel')) {
      throw new Error(`the progress notification has no Cancel: ${progress}`);
    }
    done('progress', { text: progress });

    // 2. The lens above the hot function, from the server's codeLens refresh.
    const title = await until('the hot function\'s lens', async () => {
      const found = (await lensTexts()).find((t) => new RegExp(spec.lens).test(t));
      return found;
    }, 180_000, 500);
    await shot('hotspots-lens.png');
    done('lens', { title, all: await lensTexts() });

    // 3. Its Optimize starts the extension's reviewed run (a notification with Cancel), not
    //    the server's refactor-preview route.
    await lenses().filter({ hasText: new RegExp(spec.lens) }).first().locator('a', { hasText: 'Optimize' }).first().click();
    const run = toast(`optimizing \`${spec.function}\``);
    await run.first().waitFor({ state: 'visible', timeout: 60_000 });
    await shot('hotspots-optimize.png');
    await run.first().locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toast('cancelled').first().waitFor({ state: 'visible', timeout: 60_000 });
    done('optimize from the lens');

    // 4. An unsaved edit inside the function: its lens goes (stale numbers are not shown).
    await page.keyboard.press('Escape');
    await openAt(spec.editLine);
    await page.keyboard.press('End');
    await page.keyboard.type('  # edited');
    await until('the edited function\'s lens to go', async () => !(await lensTexts()).some((t) => new RegExp(spec.lens).test(t)), 30_000, 300);
    await shot('hotspots-edited.png');
    done('stale lens gone', { left: await lensTexts() });
  } catch (err) {
    await shot('hotspots-failure.png').catch(() => undefined);
    console.error(String(err?.stack ?? err));
    await browser.close();
    process.exit(1);
  }
  await browser.close();
}

await main();
