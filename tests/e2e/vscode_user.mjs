// A person using the LessonL extension in code-server, played by playwright-core on Debian's
// chromium. Started by tests/test_vscode_e2e.py with the path of a spec.json (URL, project,
// expected texts, where to save screenshots). Prints one JSON line per step done; exits 0 when
// every step passed, 1 with the failing step on stderr (and artifacts/failure.png), 3 when the
// browser cannot start at all (the test then skips).
//
// Only what a user sees and does: keyboard shortcuts, menus, the notification, the diff
// editor's title buttons, the hover, the Explorer view. The file's text is read from disk after
// Ctrl+S, as a user would check it.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = createRequire(join(spec.tools, 'node_modules', 'x.js'))('playwright-core');
const file = join(spec.project, spec.file);
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

/** Quick Open the file and put the cursor on `line` (1-based) with Ctrl+G. */
async function openAt(line) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(spec.file.split('/').pop());
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${spec.file.split('/').pop()}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.editor-instance .monaco-editor .view-lines');
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

/** Ctrl+. at the cursor until the menu offers our action (the server may still be starting), then choose it. */
async function chooseOptimize(screenshot) {
  const title = `Optimize \`${spec.function}\` with lessons`;
  const item = page.locator('.action-widget .monaco-list-row', { hasText: title });
  await until(`the code action "${title}"`, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+.');
    try {
      await item.first().waitFor({ state: 'visible', timeout: 3000 });
      return true;
    } catch {
      return false;
    }
  }, 90_000, 500);
  if (screenshot) {
    await item.first().hover();
    await shot(screenshot);
  }
  await item.first().click();
}

/** The quick pick of several targets covering the file: type the name, press Enter. */
async function chooseTarget(name) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  const title = await page.locator('.quick-input-widget').innerText();
  for (const t of spec.targets) {
    if (!title.includes(t)) {
      throw new Error(`the target pick lacks "${t}":\n${title}`);
    }
  }
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

const toast = () => page.locator('.notifications-toasts .notification-toast', { hasText: `optimizing \`${spec.function}\`` });

/** Waits for the run's review tab and returns its title. */
async function reviewTitle() {
  const tab = page.locator('.tabs-container .tab', { hasText: /proposal .*faster/ });
  await tab.first().waitFor({ state: 'visible', timeout: 240_000 });
  return (await tab.first().getAttribute('aria-label')) ?? (await tab.first().innerText());
}

async function saveAndRead() {
  await page.keyboard.press('Control+S');
  await page.waitForTimeout(700);
  return readFileSync(file, 'utf8');
}

async function titleAction(label) {
  const action = page.locator(`.editor-actions .action-label[aria-label^="${label}"]`).first();
  await action.waitFor({ state: 'visible', timeout: 10_000 });
  await action.click();
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

    // 1. The code action, from the lightbulb / quick-fix menu at the cursor.
    await openAt(spec.line);
    await chooseOptimize('code-action.png');
    done('code action');
    await chooseTarget(spec.targets[1]);
    done('target', { chosen: spec.targets[1] });

    // 2. The progress notification: the round and the best speedup so far.
    const message = await until('a progress message with the round and the best speedup', async () => {
      const t = toast();
      if ((await t.count()) === 0) {
        return undefined;
      }
      const text = await t.first().innerText().catch(() => '');
      return /round \d+\/\d+( done)? · best \d+(\.\d+)?x/.test(text) ? text : undefined;
    }, 120_000, 100);
    await shot('progress.png');
    done('progress', { message: message.replace(/\s+/g, ' ') });

    // 3. The diff review, titled with the speedup; its hover shows the lessons and how
    //    correctness was judged.
    const title = await reviewTitle();
    const speedup = Number(/proposal ([\d.]+)x faster/.exec(title)?.[1]);
    if (!(speedup > 1)) {
      throw new Error(`review title without a speedup above 1: ${title}`);
    }
    done('review', { title });
    const modified = page.locator('.monaco-diff-editor .editor.modified .view-line');
    await modified.first().waitFor({ state: 'visible' });
    const hover = page.locator('.monaco-hover:visible', { hasText: 'Lessons that led' });
    await until('the review hover with the lessons', async () => {
      // Over the proposal's own text (Monaco's line elements are not in line order).
      await modified.filter({ hasText: spec.fastLine }).first().hover({ position: { x: 60, y: 8 } });
      try {
        await hover.first().waitFor({ state: 'visible', timeout: 2500 });
        return true;
      } catch {
        await page.mouse.move(5, 5);
        return false;
      }
    }, 30_000, 200);
    const hoverText = await hover.first().innerText();
    for (const want of [spec.lesson.slice(0, 40), 'Correctness']) {
      if (!hoverText.includes(want)) {
        throw new Error(`the hover lacks "${want}":\n${hoverText}`);
      }
    }
    await shot('review.png');
    done('hover', { text: hoverText.replace(/\s+/g, ' ').slice(0, 300) });

    // 4. Accept Change at Cursor: only the hunk under the cursor goes into the file (the diff's
    //    left side); the review stays open with the other change pending.
    await page.mouse.move(5, 5);
    await modified.filter({ hasText: spec.hunkLine }).first().click({ position: { x: 80, y: 8 } });
    await titleAction('Accept Change at Cursor');
    const original = page.locator('.monaco-diff-editor .editor.original .view-line');
    await until('the accepted change in the file side of the diff', async () => (await original.filter({ hasText: spec.hunkLine }).count()) > 0, 15_000);
    if ((await page.locator('.tabs-container .tab', { hasText: /proposal .*faster/ }).count()) !== 1) {
      throw new Error('the review closed after accepting one of two changes');
    }
    if ((await original.filter({ hasText: spec.fastLine }).count()) !== 0) {
      throw new Error('Accept Change at Cursor also applied the other change');
    }
    await shot('accept-change.png');
    done('accept change');

    // Accept: the rest of the proposal; the file becomes the proposal.
    await titleAction('Accept Proposal');
    await until('the review tab to close', async () => (await page.locator('.tabs-container .tab', { hasText: /proposal .*faster/ }).count()) === 0, 15_000);
    const accepted = await saveAndRead();
    if (accepted === spec.original || !accepted.includes(spec.fastLine)) {
      throw new Error(`after Accept the file is not the proposal:\n${accepted}`);
    }
    if (!accepted.startsWith(spec.original.split('\ndef ')[0])) {
      throw new Error('Accept changed more than the function (the module docstring and imports differ)');
    }
    if (!accepted.includes(spec.hunkLine)) {
      throw new Error(`after both accepts the file lacks the first change:\n${accepted}`);
    }
    done('accept');
    // One undo step per accept: the first undo takes back Accept, the second the single change.
    await page.keyboard.press('Control+Z');
    const half = await saveAndRead();
    if (!half.includes(spec.hunkLine) || half.includes(spec.fastLine)) {
      throw new Error(`one undo did not leave just the first change:\n${half}`);
    }
    await page.keyboard.press('Control+Z');
    const undone = await saveAndRead();
    if (undone !== spec.original) {
      throw new Error(`two undos did not bring the original back:\n${undone}`);
    }
    done('undo');

    // A second run, then Reject: the file stays as it is.
    await openAt(spec.line);
    await chooseOptimize();
    await chooseTarget(spec.targets[0]);
    await reviewTitle();
    await titleAction('Reject Proposal');
    await until('the review tab to close', async () => (await page.locator('.tabs-container .tab', { hasText: /proposal .*faster/ }).count()) === 0, 15_000);
    const dirty = await page.locator('.tabs-container .tab.dirty').count();
    if (dirty || readFileSync(file, 'utf8') !== spec.original) {
      throw new Error('Reject changed the file');
    }
    done('reject');

    // 5. The Lessons view (Explorer) lists the lessons the runs added.
    await page.keyboard.press('Control+Shift+E');
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'LessonL Lessons' }) });
    await pane.first().waitFor({ state: 'visible', timeout: 15_000 });
    const header = pane.first().locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') {
      await header.click();
    }
    const row = pane.first().locator('.monaco-list-row', { hasText: spec.lesson.slice(0, 30) });
    await row.first().waitFor({ state: 'visible', timeout: 20_000 });
    done('lessons view', { rows: await row.count() });

    // Cancel during a run: the fake agent holds its answer while `hold` exists.
    writeFileSync(spec.hold, '');
    await openAt(spec.line);
    await chooseOptimize();
    await chooseTarget(spec.targets[0]);
    await until('the run to ask the agent', async () => {
      const text = (await toast().first().innerText().catch(() => '')) ?? '';
      return /writing a variant/.test(text);
    }, 120_000, 100);
    await toast().first().locator('.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'cancelled' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const runs = join(spec.project, '.lessonl', 'runs');
    await until('the cancelled run to write its report', () =>
      readdirSync(runs).some((id) => {
        const report = join(runs, id, 'report.json');
        return existsSync(report) && JSON.parse(readFileSync(report, 'utf8')).stopped === 'cancelled';
      }), 30_000);
    if ((await page.locator('.tabs-container .tab', { hasText: /proposal .*faster/ }).count()) !== 0) {
      throw new Error('a cancelled run opened a review');
    }
    done('cancel');
  } catch (err) {
    await shot('failure.png').catch(() => undefined);
    console.error(String(err?.stack ?? err));
    await browser.close();
    process.exit(1);
  }
  await browser.close();
}

await main();
