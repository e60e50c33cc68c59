// Firefox and WebKit for the node test scripts, over plain W3C WebDriver (geckodriver,
// WebKitWebDriver). Playwright's Firefox and WebKit need Playwright's own browser builds, which
// cannot be downloaded here, and puppeteer-core 25 needs a newer Node than Debian's 20; W3C
// WebDriver drives the system browsers. The pages it returns offer the part of Playwright's Page
// API the scripts use (same names, same meaning), so one script runs in every engine.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { freePort } from './server.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'; // the W3C web element key
const DEFAULT_TIMEOUT = 30_000; // Playwright's default for actions and waits
const COMMAND_TIMEOUT = 60_000; // a driver that stops answering fails the test, not hangs it
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** How each engine's driver starts and what a new session asks for. */
const ENGINES = {
  firefox: {
    driver: () => [process.env.GECKODRIVER ?? 'geckodriver', []],
    capabilities: () => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', // Debian names it firefox-esr
        args: ['-headless'],
        // No first-run pages or update checks competing with the test for the 2 cores.
        prefs: { 'browser.shell.checkDefaultBrowser': false, 'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false },
      },
    }),
  },
  webkit: {
    // WebKitGTK's driver launches MiniBrowser by itself; MiniBrowser has no headless mode, so
    // it gets a private X display (below).
    driver: () => [process.env.WEBKIT_WEBDRIVER ?? 'WebKitWebDriver', []],
    capabilities: () => ({}),
    display: true,
    // Each page in its own window: MiniBrowser does not paint a tab that is not the selected
    // one, and WebKitWebDriver's Take Screenshot of such a tab never answers (the session is
    // stuck after it). Separate windows are all visible, as Playwright's pages are.
    newPage: 'window',
  },
};

/** A private Xvfb: `-displayfd` makes Xvfb choose a free display number and write it to fd 3. */
async function startXvfb() {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdio[3].on('data', (d) => { out += d; if (out.includes('\n')) resolve(`:${out.trim()}`); });
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err}`)));
  });
  return { display, stop: () => proc.kill() };
}

class WebDriverError extends Error {}

async function request(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT),
  });
  const json = await res.json();
  // An error is told by the status (a script's own result may well have an `error` field).
  if (!res.ok) throw new WebDriverError(`${method} ${path}: ${json.value.error}: ${json.value.message}`);
  return json.value;
}

/** Starts the engine's driver and a browser session; `{ browser, context }` as browser.mjs's launch. */
export async function launchWebDriver(engine) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown engine ${engine}`);
  const xvfb = spec.display ? await startXvfb() : null;
  const port = await freePort();
  const [bin, args] = spec.driver();
  const env = xvfb ? { ...process.env, DISPLAY: xvfb.display } : process.env;
  const driver = spawn(bin, [...args, `--port=${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  // WEBDRIVER_LOG=1 shows the driver's own log (which command it is stuck on, say).
  if (process.env.WEBDRIVER_LOG) driver.stderr.on('data', (d) => process.stderr.write(d));
  let driverLog = '';
  driver.stderr.on('data', (d) => { driverLog += d; });
  const spawnError = new Promise((_, reject) => driver.on('error', (e) => reject(new Error(`${bin}: ${e.message}`))));
  spawnError.catch(() => {}); // only awaited while the driver starts
  const base = `http://127.0.0.1:${port}`;
  const stopAll = () => { driver.kill(); xvfb?.stop(); };
  // A script that ends without browser.close() (an uncaught error) leaves no driver, browser or
  // Xvfb behind: the driver ends its browser when it is killed.
  process.on('exit', stopAll);
  let session;
  try {
    for (let waited = 0; ; waited += 100) {
      const up = await Promise.race([fetch(`${base}/status`).then(() => true, () => false), spawnError]);
      if (up) break;
      if (waited > 20_000 || driver.exitCode !== null) throw new Error(`${bin} did not start: ${driverLog}`);
      await sleep(100);
    }
    session = await request(base, 'POST', '/session', { capabilities: { alwaysMatch: spec.capabilities() } });
  } catch (e) {
    stopAll();
    throw e;
  }
  const wd = new Session(base, session.sessionId, spec.newPage ?? 'tab');
  wd.firstHandle = await wd.call('GET', '/window');
  const browserInfo = `${session.capabilities.browserName} ${session.capabilities.browserVersion}`;
  return {
    engine,
    version: browserInfo,
    browser: {
      close: async () => {
        await wd.call('DELETE', '').catch(() => {});
        stopAll();
      },
    },
    context: { newPage: () => wd.newPage() },
  };
}

/** One WebDriver session: commands are serialised, and each runs in its page's window. */
class Session {
  constructor(base, id, newPageType) {
    this.base = base;
    this.path = `/session/${id}`;
    this.newPageType = newPageType;
    this.queue = Promise.resolve();
    this.current = null;
    this.firstHandle = null; // the session's initial window, used by the first page
  }
  call(method, path, body) {
    return request(this.base, method, `${this.path}${path}`, body);
  }
  /** Runs `fn` alone, after switching to window `handle`. */
  in(handle, fn) {
    const run = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.call('POST', '/window', { handle });
        this.current = handle;
      }
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }
  async newPage() {
    let handle = this.firstHandle;
    this.firstHandle = null;
    if (!handle) {
      handle = await this.queue.then(() => this.call('POST', '/window/new', { type: this.newPageType })).then((v) => v.handle);
    }
    return new Page(this, handle);
  }
}

/** The subset of Playwright's Page API used by the test scripts. */
class Page {
  constructor(session, handle) {
    this.session = session;
    this.handle = handle;
    this.errorListeners = [];
  }
  cmd(method, path, body) {
    return this.session.in(this.handle, () => this.session.call(method, path, body));
  }
  /** Runs `fn(...args)` in the page and returns its (JSON) result. */
  run(fn, ...args) {
    return this.cmd('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments)`, args });
  }

  /**
   * 'pageerror': classic WebDriver has no event for uncaught errors, so the page records them
   * (installed after each navigation: errors while the page's first scripts load are missed) and
   * they are collected by `flushErrors()`, before navigating and when the page closes.
   */
  on(event, listener) {
    if (event !== 'pageerror') throw new Error(`webdriver.mjs: no '${event}' event`);
    this.errorListeners.push(listener);
  }
  async flushErrors() {
    const messages = await this.run(() => (window.__pageErrors ?? []).splice(0)).catch(() => []);
    for (const message of messages) for (const l of this.errorListeners) l({ message });
  }
  async goto(url) {
    await this.flushErrors();
    await this.cmd('POST', '/url', { url });
    await this.run(() => {
      window.__pageErrors = [];
      addEventListener('error', (e) => window.__pageErrors.push(String(e.error?.message ?? e.message)));
      addEventListener('unhandledrejection', (e) => window.__pageErrors.push(String(e.reason?.message ?? e.reason)));
    });
  }
  async close() {
    await this.flushErrors();
    await this.cmd('DELETE', '/window');
    this.session.current = null;
  }

  async waitForFunction(fn, arg, { timeout = DEFAULT_TIMEOUT } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.run(fn, arg ?? null);
      if (value) return { jsonValue: async () => value };
      if (Date.now() > deadline) throw new Error(`waitForFunction: timeout ${timeout} ms exceeded`);
      await sleep(100);
    }
  }
  waitForTimeout(ms) { return sleep(ms); }
  /** Waits for a visible element, as Playwright's default `state: 'visible'`. */
  waitForSelector(selector, { timeout = DEFAULT_TIMEOUT } = {}) {
    return this.waitForFunction((sel) => {
      const el = document.querySelector(sel);
      return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    }, selector, { timeout });
  }
  /** The element's WebDriver reference, once it is in the page. */
  async element(selector, timeout = DEFAULT_TIMEOUT) {
    await this.waitForFunction((sel) => !!document.querySelector(sel), selector, { timeout });
    const found = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    return found[ELEMENT];
  }

  async textContent(selector) {
    await this.element(selector);
    return this.run((sel) => document.querySelector(sel).textContent, selector);
  }
  async getAttribute(selector, name) {
    await this.element(selector);
    return this.run((sel, n) => document.querySelector(sel).getAttribute(n), selector, name);
  }
  async inputValue(selector) {
    await this.element(selector);
    return this.run((sel) => document.querySelector(sel).value, selector);
  }
  isVisible(selector) {
    return this.run((sel) => {
      const el = document.querySelector(sel);
      return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    }, selector);
  }
  evaluate(fn, arg) { return this.run(fn, arg ?? null); }
  async $eval(selector, fn, arg) {
    await this.element(selector);
    return this.run(`(sel, a) => (${fn})(document.querySelector(sel), a)`, selector, arg ?? null);
  }
  $$eval(selector, fn, arg) {
    return this.run(`(sel, a) => (${fn})(Array.from(document.querySelectorAll(sel)), a)`, selector, arg ?? null);
  }

  /** A real click and real typing (WebDriver scrolls the element into view first). */
  async click(selector) {
    const id = await this.element(selector);
    await this.cmd('POST', `/element/${id}/click`, {});
  }
  async fill(selector, value) {
    const id = await this.element(selector);
    await this.cmd('POST', `/element/${id}/clear`, {});
    await this.cmd('POST', `/element/${id}/value`, { text: value });
  }

  /**
   * WebDriver sizes the window, not the viewport: the window is grown by the browser's own
   * chrome (MiniBrowser has a toolbar) so that the page gets `width` CSS pixels, or as close as
   * the browser allows (measured: headless Firefox 153 is never narrower than 500 px,
   * MiniBrowser 2.50 than 447 px).
   */
  async setViewportSize({ width, height }) {
    const [outerW, outerH, innerW, innerH] = await this.run(() => [outerWidth, outerHeight, innerWidth, innerHeight]);
    await this.cmd('POST', '/window/rect', { width: width + (outerW - innerW), height: height + (outerH - innerH) });
  }
  async screenshot({ path }) {
    const png = await this.cmd('GET', '/screenshot');
    await writeFile(path, Buffer.from(png, 'base64'));
  }
}
