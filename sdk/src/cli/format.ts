import pc from 'picocolors';
import {
  HubUnavailableError,
  KeyStoreError,
  SamverkanCryptoError,
  SamverkanProblemError,
  UnknownUnitError,
} from '../errors';

/** Exit codes scripts can rely on (documented in sdk/README.md). */
export const EXIT = {
  ok: 0,
  usage: 1,
  problem: 2,
  auth: 3,
  unavailable: 4,
  crypto: 5,
  keyStore: 6,
} as const;

export type Colors = ReturnType<typeof pc.createColors>;

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Visible width of a string, ignoring ANSI colour codes. */
export function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/** A plain text table: a header, a rule, one line per row, columns padded to their widest cell. */
export function table<T>(rows: T[], columns: Array<Column<T>>, c: Colors = colors(false)): string {
  if (rows.length === 0) {
    return c.dim('(none)');
  }
  const cells = rows.map((row) => columns.map((col) => col.value(row)));
  const widths = columns.map((col, i) =>
    Math.max(visibleLength(col.header), ...cells.map((line) => visibleLength(line[i]!))),
  );
  const pad = (text: string, width: number) => text + ' '.repeat(width - visibleLength(text));
  const render = (line: string[]) =>
    line
      .map((cell, i) => (i === line.length - 1 ? cell : pad(cell, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    c.bold(render(columns.map((col) => col.header))),
    c.dim(widths.map((w) => '─'.repeat(w)).join('  ')),
    ...cells.map(render),
  ].join('\n');
}

/** `key: value` lines with the keys aligned. */
export function details(entries: Array<[string, string | undefined | null]>, c: Colors): string {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${c.dim(`${k.padEnd(width)}`)}  ${v}`).join('\n');
}

const STATUS_COLOUR: Record<string, keyof Colors> = {
  sent: 'yellow',
  received: 'cyan',
  accepted: 'green',
  handover_planned: 'green',
  handover_confirmed: 'green',
  closed: 'dim',
  declined: 'red',
  withdrawn: 'red',
  forwarded: 'magenta',
};

export function status(value: string, c: Colors): string {
  const colour = STATUS_COLOUR[value];
  const fn = colour ? c[colour] : undefined;
  return typeof fn === 'function' ? (fn as (s: string) => string)(value) : value;
}

export interface DescribedError {
  exitCode: number;
  title: string;
  detail?: string;
  hint?: string;
  /** What `--json` prints on stderr. */
  json: Record<string, unknown>;
}

/** What to do about a referral document that does not follow its schema. */
export const DOCUMENT_HINT =
  'Fix these fields and send again. The form is referral-document.schema.json (in openapi/ and the SDK); sdk/examples/first-referral.json is a complete example.';

const LOGIN_HINT = 'samverkan login <user>, or pass --token / SAMVERKAN_TOKEN.';

const HINTS: Record<string, string> = {
  unauthenticated: LOGIN_HINT,
  'expired-token': 'Your token has expired: `samverkan login <user>` again.',
  'invalid-token': 'The token was not accepted: `samverkan login <user>` again.',
  forbidden: 'Your user may not do this: check the unit (--unit) and your roles.',
  'not-found': 'Check the id; you only see objects of your own units.',
  'validation-error': 'Fix the fields named above and try again.',
  'invalid-transition': '`samverkan referral show <id>` shows where it stands.',
  'envelope-key-missing': 'The recipient published new keys: send again to pick them up.',
  'rate-limited': 'Wait a moment and try again.',
};

/** Maps any error to what the CLI prints and the exit code it ends with. */
export function describeError(err: unknown): DescribedError {
  if (err instanceof SamverkanProblemError) {
    const auth = err.status === 401 || err.status === 403;
    const exitCode = auth ? EXIT.auth : err.status >= 500 ? EXIT.unavailable : EXIT.problem;
    // A validation problem's detail repeats its field errors: print each of them once.
    const fieldLines = err.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
    const hint =
      HINTS[err.slug] ??
      (err.status === 401
        ? HINTS.unauthenticated
        : err.status === 403
          ? HINTS.forbidden
          : undefined) ??
      (err.status === 409 ? HINTS['invalid-transition'] : undefined) ??
      // "No such referral", "No such operation", …: the same two causes as any 404.
      (err.status === 404 ? HINTS['not-found'] : undefined) ??
      (err.status >= 500
        ? 'The hub failed; try again, and tell its operator if it persists.'
        : undefined);
    return {
      exitCode,
      title: err.title,
      detail: (err.errors.length > 0 ? fieldLines : err.detail) || undefined,
      hint,
      json: { error: 'problem', ...err.problem },
    };
  }
  if (err instanceof HubUnavailableError) {
    return {
      exitCode: EXIT.unavailable,
      title: 'The hub is unavailable',
      detail: err.message,
      hint: 'Is the hub running? Start it with `npm start`, or point --url / SAMVERKAN_URL at it.',
      json: { error: 'unavailable', message: err.message, status: err.status ?? null },
    };
  }
  if (err instanceof NotLoggedInError) {
    return {
      exitCode: EXIT.auth,
      title: 'Authentication is required',
      detail: err.message,
      hint: LOGIN_HINT,
      json: { error: 'unauthenticated', message: err.message },
    };
  }
  if (err instanceof InactiveUnitError) {
    return {
      exitCode: EXIT.problem,
      title: 'The unit is inactive',
      detail: err.message,
      hint: 'It cannot receive referrals now: `samverkan units search <name>` lists the active units.',
      json: { error: 'inactive_unit', unit: err.unit, message: err.message },
    };
  }
  if (err instanceof UnknownUnitError) {
    return {
      exitCode: EXIT.problem,
      title: 'No such unit',
      detail: err.message,
      hint: 'Find the unit by name: `samverkan units search <name>` (its ID column), or pass the name itself.',
      json: { error: 'unknown_unit', unit: err.unit, message: err.message },
    };
  }
  if (err instanceof SamverkanCryptoError) {
    const json = {
      error: 'crypto',
      code: err.code,
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
      ...(err.organisationId
        ? { organisationId: err.organisationId, fingerprints: err.fingerprints ?? [] }
        : {}),
    };
    if (err.code === 'invalid_document') {
      // Checked before anything is signed or sent: a mistake in the file, not an alarm.
      return {
        exitCode: EXIT.usage,
        title: 'The referral document is not valid',
        detail: err.message,
        hint: DOCUMENT_HINT,
        json,
      };
    }
    if (err.code === 'root_not_pinned') {
      // Not an attack by itself: a counterpart this client has not met yet.
      return {
        exitCode: EXIT.crypto,
        title: 'Root key not pinned',
        detail: err.message,
        hint: 'Pin a fingerprint only after comparing it with that organisation by phone or in person.',
        json,
      };
    }
    if (err.code === 'record_mismatch') {
      return {
        exitCode: EXIT.crypto,
        title: "The hub's record differs from what the sender signed",
        detail: `${err.message}${err.field ? ` (field: ${err.field})` : ''}`,
        hint: 'The content was not shown. Tell the hub operator and the sender; do not act on the hub’s metadata for this item.',
        json,
      };
    }
    return {
      exitCode: EXIT.crypto,
      title: 'Cryptographic check failed',
      detail: err.message,
      hint: 'Do not trust this content. Compare root fingerprints (`samverkan keys fingerprint`) with the sender out of band.',
      json,
    };
  }
  if (err instanceof KeyStoreError) {
    return {
      exitCode: EXIT.keyStore,
      title: 'Key store',
      detail: err.message,
      json: { error: 'key_store', message: err.message },
    };
  }
  if (err instanceof UsageError) {
    return {
      exitCode: EXIT.usage,
      title: err.options.title ?? 'Usage',
      detail: err.message,
      hint: err.options.hint ?? 'See `samverkan --help`.',
      json: { error: 'usage', message: err.message },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    exitCode: EXIT.usage,
    title: 'Error',
    detail: message,
    json: { error: 'error', message },
  };
}

/** A unit named exactly, that exists but was made inactive: not "no such unit". */
export class InactiveUnitError extends UnknownUnitError {}

export class UsageError extends Error {
  constructor(
    message: string,
    /** What the mistake is, in a few words (default "Usage"), and what to do about it. */
    readonly options: { title?: string; hint?: string } = {},
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** No token at all (no --token, SAMVERKAN_TOKEN or saved login): caught before any request. */
export class NotLoggedInError extends Error {
  constructor(message = 'you are not logged in') {
    super(message);
    this.name = 'NotLoggedInError';
  }
}

/** How times are shown to people: local time and a relative phrase. `--json` keeps ISO. */
export interface TimeStyle {
  timeZone: string;
  locale: 'sv' | 'en';
  now?: Date;
}

/**
 * The time style from the environment: `SAMVERKAN_TIMEZONE` (default Europe/Stockholm, where the
 * hub's people work, whatever the machine's zone) and Swedish phrases when the locale
 * (`LC_ALL`, `LC_TIME`, `LANG`) is Swedish.
 */
export function timeStyle(env: NodeJS.ProcessEnv = process.env): TimeStyle {
  const lang = env.LC_ALL || env.LC_TIME || env.LANG || '';
  return {
    timeZone: env.SAMVERKAN_TIMEZONE || 'Europe/Stockholm',
    locale: /^sv/i.test(lang) ? 'sv' : 'en',
  };
}

/** "in 12 min", "3 h ago", "om 2 d" — rounded to the largest whole unit. */
export function relativeTime(at: Date, style: TimeStyle): string {
  const now = style.now ?? new Date();
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) {
    return style.locale === 'sv' ? 'nu' : 'now';
  }
  const [value, unit] =
    abs < 3600
      ? [Math.round(abs / 60), 'min']
      : abs < 86_400 * 2
        ? [Math.round(abs / 3600), style.locale === 'sv' ? 'tim' : 'h']
        : [Math.round(abs / 86_400), 'd'];
  if (style.locale === 'sv') {
    return seconds > 0 ? `om ${value} ${unit}` : `för ${value} ${unit} sedan`;
  }
  return seconds > 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/** `2026-12-01 22:40` in the style's time zone. */
export function localTime(at: Date, style: TimeStyle): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: style.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

/** A time for people: local time, and for deadlines and recent events how far away it is. */
export function when(
  iso: string | null | undefined,
  style: TimeStyle,
  relative: boolean = true,
): string {
  if (!iso) {
    return '';
  }
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) {
    return iso;
  }
  return relative ? `${localTime(at, style)} (${relativeTime(at, style)})` : localTime(at, style);
}

export function renderError(d: DescribedError, c: Colors): string {
  return [
    `${c.red(c.bold('✖'))} ${c.bold(d.title)}`,
    d.detail ? `  ${d.detail.replace(/\n/g, '\n  ')}` : undefined,
    d.hint ? `${c.dim('→')} ${d.hint}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
}

/** A spinner on stderr while a step runs, only on a TTY; silent otherwise. */
export async function withSpinner<T>(
  label: string,
  enabled: boolean,
  work: () => Promise<T>,
): Promise<T> {
  if (!enabled) {
    return work();
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => {
    process.stderr.write(`\r${frames[i++ % frames.length]} ${label}`);
  }, 80);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}
