// A scripted browser for end-to-end tests: `fetch` with a cookie jar and manual redirects, a small
// HTML form reader (hidden inputs such as `csrf` and `next`, buttons), and a driver that walks
// through Gatehouse's pages the way a person would — sign in on /login, type a device code on
// /link, press Allow (or Deny) on a consent page — until the browser is sent to a URL the test
// is waiting for (a client's redirect URI).
//
// Pages are matched by what their forms contain (a password field, a `code` field, buttons), not
// by their exact markup, so template changes do not break the suite.

export interface Page {
  readonly status: number;
  /** The URL that was requested. */
  readonly url: string;
  /** The absolute redirect target, for 3xx answers. */
  readonly location: string | null;
  readonly headers: Headers;
  readonly body: string;
}

export interface FormButton {
  readonly name: string | null;
  readonly value: string | null;
  readonly text: string;
}

export interface Form {
  /** Absolute. */
  readonly action: string;
  readonly method: string;
  /** Every named input with its value (hidden, text, password...), in document order. */
  readonly fields: Readonly<Record<string, string>>;
  readonly inputTypes: Readonly<Record<string, string>>;
  readonly buttons: readonly FormButton[];
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? parseInt(entity.slice(2), 16)
          : parseInt(entity.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  const inner = tag.replace(/^<\s*[a-z]+/i, '').replace(/\/?>$/, '');
  for (const match of inner.matchAll(
    /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g,
  )) {
    const value = match[2] ?? match[3] ?? match[4] ?? '';
    result[match[1]!.toLowerCase()] = decodeEntities(value);
  }
  return result;
}

/** The visible text of some HTML (tags dropped, whitespace squeezed). */
export function textOf(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' '),
  ).trim();
}

export function parseForms(html: string, pageUrl: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/(<form\b[^>]*>)([\s\S]*?)<\/form>/gi)) {
    const formAttributes = attributes(match[1]!);
    const content = match[2]!;
    const fields: Record<string, string> = {};
    const inputTypes: Record<string, string> = {};
    for (const input of content.matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(input[0]);
      if (a.name === undefined) continue;
      const type = (a.type ?? 'text').toLowerCase();
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      if (type === 'submit') continue;
      fields[a.name] = a.value ?? '';
      inputTypes[a.name] = type;
    }
    for (const textarea of content.matchAll(/(<textarea\b[^>]*>)([\s\S]*?)<\/textarea>/gi)) {
      const a = attributes(textarea[1]!);
      if (a.name === undefined) continue;
      fields[a.name] = decodeEntities(textarea[2]!);
      inputTypes[a.name] = 'textarea';
    }
    const buttons: FormButton[] = [];
    for (const button of content.matchAll(/(<button\b[^>]*>)([\s\S]*?)<\/button>/gi)) {
      const a = attributes(button[1]!);
      if ((a.type ?? 'submit').toLowerCase() !== 'submit') continue;
      buttons.push({ name: a.name ?? null, value: a.value ?? null, text: textOf(button[2]!) });
    }
    for (const input of content.matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(input[0]);
      if ((a.type ?? '').toLowerCase() !== 'submit') continue;
      buttons.push({ name: a.name ?? null, value: a.value ?? null, text: a.value ?? '' });
    }
    forms.push({
      action: new URL(formAttributes.action ?? '', pageUrl).href,
      method: (formAttributes.method ?? 'get').toLowerCase(),
      fields,
      inputTypes,
      buttons,
    });
  }
  return forms;
}

export class Browser {
  /** Cookie name → value (one host, so domain and path do not matter). */
  readonly cookies = new Map<string, string>();
  /** Every URL requested, in order (for assertions and failure messages). */
  readonly history: string[] = [];

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    this.history.push(`${init.method ?? 'GET'} ${url}`);
    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    });
    this.storeCookies(response.headers);
    const location = response.headers.get('location');
    return {
      status: response.status,
      url,
      location: location === null ? null : new URL(location, url).href,
      headers: response.headers,
      body: await response.text(),
    };
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  /** Submits `form` with its own fields, `values` on top and the chosen button's name=value. */
  submit(form: Form, values: Record<string, string> = {}, button?: FormButton): Promise<Page> {
    const fields: Record<string, string> = { ...form.fields, ...values };
    if (button?.name != null) fields[button.name] = button.value ?? '';
    if (form.method === 'get') {
      const target = new URL(form.action);
      for (const [name, value] of Object.entries(fields)) target.searchParams.set(name, value);
      return this.request(target.href);
    }
    return this.request(form.action, { method: 'POST', form: fields });
  }

  private storeCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((attr) => {
        const [key, val = ''] = attr.split('=').map((s) => s.trim());
        if (key!.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key!.toLowerCase() === 'expires') return new Date(val).getTime() <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export type Decision = 'allow' | 'deny';

export interface DriveOptions {
  /** Credentials to type when a sign-in form shows up; without them a sign-in form is an error. */
  readonly user?: { username: string; password: string };
  /** What to press on a consent page (default allow). */
  readonly decision?: Decision;
  /** The device code to type on /link. */
  readonly userCode?: string;
  /** Stop as soon as the browser is sent to a URL for which this holds. */
  readonly stopAt?: (url: string) => boolean;
}

export interface DriveResult {
  /** The URL that matched `stopAt`, or null when the walk ended on a page. */
  readonly stoppedAt: string | null;
  /** The last page fetched. */
  readonly page: Page;
  /** Which kinds of pages were answered on the way. */
  readonly steps: readonly ('login' | 'code' | 'consent')[];
}

const ALLOW = /\b(allow|accept|approve|authori[sz]e|consent|continue|grant|yes)\b/i;
const DENY = /\b(deny|decline|reject|cancel|no)\b/i;

function buttonLabel(button: FormButton): string {
  return `${button.name ?? ''} ${button.value ?? ''} ${button.text}`;
}

function chooseConsent(
  forms: readonly Form[],
  decision: Decision,
): { form: Form; button?: FormButton } | null {
  const wanted = decision === 'allow' ? ALLOW : DENY;
  const other = decision === 'allow' ? DENY : ALLOW;
  const candidates = forms.filter(
    (form) => form.method === 'post' && !form.action.endsWith('/logout'),
  );
  for (const form of candidates) {
    for (const button of form.buttons) {
      const label = buttonLabel(button);
      if (wanted.test(label) && !(decision === 'allow' && DENY.test(label)))
        return { form, button };
    }
  }
  // A form for each choice without telling buttons: pick by its action.
  for (const form of candidates) {
    if (wanted.test(form.action) && !other.test(form.action)) return { form };
  }
  return null;
}

/**
 * Follows redirects from `start` and answers the pages met on the way (sign-in, device code,
 * consent) until the browser is sent to a URL matching `stopAt`, or a page needs nothing more.
 */
export async function drive(
  browser: Browser,
  start: string | Page,
  options: DriveOptions = {},
): Promise<DriveResult> {
  let page = typeof start === 'string' ? await browser.get(start) : start;
  const steps: ('login' | 'code' | 'consent')[] = [];
  const stopAt = options.stopAt ?? (() => false);
  const trace = () =>
    `\nhistory:\n  ${browser.history.join('\n  ')}\nlast page (${page.status}): ${textOf(page.body).slice(0, 600)}`;
  for (let hop = 0; hop < 20; hop++) {
    if (page.location !== null) {
      if (stopAt(page.location)) return { stoppedAt: page.location, page, steps };
      page = await browser.get(page.location);
      continue;
    }
    if (page.status !== 200) return { stoppedAt: null, page, steps };
    const forms = parseForms(page.body, page.url);
    // A form that posts straight to the client (response_mode=form_post) ends the walk there.
    const toClient = forms.find((form) => stopAt(form.action));
    if (toClient !== undefined) return { stoppedAt: toClient.action, page, steps };

    const login = forms.find((form) => Object.values(form.inputTypes).includes('password'));
    if (login !== undefined) {
      if (options.user === undefined) throw new Error(`asked to sign in${trace()}`);
      if (steps.filter((s) => s === 'login').length >= 2)
        throw new Error(`sign-in failed twice${trace()}`);
      steps.push('login');
      page = await browser.submit(login, {
        username: options.user.username,
        password: options.user.password,
      });
      continue;
    }
    const codeForm = forms.find(
      (form) => 'code' in form.fields && form.inputTypes.code !== 'hidden',
    );
    if (codeForm !== undefined) {
      // Without a code to type, the walk ends on this page.
      if (options.userCode === undefined) return { stoppedAt: null, page, steps };
      if (steps.includes('code')) throw new Error(`the device code was refused${trace()}`);
      steps.push('code');
      page = await browser.submit(codeForm, { code: options.userCode });
      continue;
    }
    const consent = chooseConsent(forms, options.decision ?? 'allow');
    if (consent !== null && steps.filter((s) => s === 'consent').length < 2) {
      steps.push('consent');
      page = await browser.submit(consent.form, {}, consent.button);
      continue;
    }
    return { stoppedAt: null, page, steps };
  }
  throw new Error(`too many steps${trace()}`);
}

/**
 * Drives the browser through an authorization request until it is sent back to `redirectUri`.
 * The answer is what the client's redirect URI receives: a URL (query or fragment response mode;
 * the fragment, which a browser keeps to itself, is moved into the query as the client's page
 * script would hand it over), or, for `response_mode=form_post`, the POST request the browser
 * makes when the form is sent.
 */
export async function authorizeInBrowser(
  browser: Browser,
  authorizationUrl: URL | string,
  redirectUri: string,
  options: Omit<DriveOptions, 'stopAt'> = {},
): Promise<{ callback: URL | Request; steps: readonly string[] }> {
  const result = await drive(browser, String(authorizationUrl), {
    ...options,
    stopAt: (url) => url.split(/[?#]/)[0] === redirectUri,
  });
  if (result.stoppedAt === null) {
    throw new Error(
      `the browser was not sent back to ${redirectUri}; steps ${result.steps.join(', ')}; last page ` +
        `${result.page.url} (${result.page.status}): ${textOf(result.page.body).slice(0, 600)}\n` +
        `history:\n  ${browser.history.join('\n  ')}`,
    );
  }
  if (result.page.location === null) {
    // Stopped on a page whose form posts to the client: response_mode=form_post.
    const form = parseForms(result.page.body, result.page.url).find(
      (f) => f.action === result.stoppedAt,
    )!;
    return {
      callback: new Request(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form.fields).toString(),
      }),
      steps: result.steps,
    };
  }
  const callback = new URL(result.stoppedAt);
  if (callback.hash !== '' && callback.search === '') {
    callback.search = callback.hash.slice(1);
    callback.hash = '';
  }
  return { callback, steps: result.steps };
}
