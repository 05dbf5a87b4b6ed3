import { createHash } from 'node:crypto';
import { csvCell } from '../domain/operation-report';

/**
 * Printable pages (a log review, the county mapping report): one self-contained HTML document,
 * charts as inline SVG (presentation attributes, no style attributes), no script and nothing
 * from another origin. Its one `<style>` element is allowed by its SHA-256 hash in the page's own
 * Content-Security-Policy, so it works under a CSP as strict as the hub's: no 'unsafe-inline'.
 */

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;margin:2rem;max-width:60rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;font-size:.85rem;vertical-align:top}
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{font-size:.85rem;color:#333}figure{margin:1rem 0}figcaption{font-weight:600}
svg text{font-size:11px;fill:#1b1b1b}
@media print{body{margin:0}h2{break-after:avoid}table,svg{break-inside:avoid}}`;

/** The Content-Security-Policy sent with every printable page. */
export const PRINTABLE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256')
  .update(STYLE)
  .digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STOCKHOLM = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm',
  dateStyle: 'short',
  timeStyle: 'short',
});

/** A time as people in Sweden read it: `2026-12-05 23:40` in Swedish time. */
export function swedishTime(iso: string | null): string {
  return iso ? STOCKHOLM.format(new Date(iso)) : '';
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function table(headers: string[], rows: unknown[][], numeric: number[] = []): string {
  const head = headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((v, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${esc(v)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * A horizontal bar chart as inline SVG with a text alternative. Values shown as `<5` are drawn as
 * a hatched stub of no particular length, so the chart gives away no more than the table.
 */
export function barChart(
  title: string,
  bars: Array<{ label: string; value: number | string }>,
): string {
  const numbers = bars.map((b) => (typeof b.value === 'number' ? b.value : 0));
  const max = Math.max(1, ...numbers);
  const rowHeight = 20;
  const labelWidth = 160;
  const width = 560;
  const plot = width - labelWidth - 50;
  const height = bars.length * rowHeight + 10;
  const rows = bars
    .map((b, i) => {
      const y = i * rowHeight + 5;
      const number = typeof b.value === 'number';
      const w = number ? Math.max(1, Math.round(((b.value as number) / max) * plot)) : 12;
      return `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>
<rect x="${labelWidth}" y="${y + 2}" width="${w}" height="${rowHeight - 6}" fill="${number ? '#2b5797' : 'url(#small)'}" stroke="#2b5797"/>
<text x="${labelWidth + w + 4}" y="${y + 13}">${esc(b.value)}</text>`;
    })
    .join('\n');
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return `<figure><figcaption>${esc(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${title}. ${summary}`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><pattern id="small" width="4" height="4" patternUnits="userSpaceOnUse"><path d="M0 4L4 0" stroke="#2b5797"/></pattern></defs>
${rows}
</svg></figure>`;
}

/** RFC 4180 CSV (CRLF), cells guarded against spreadsheet formulas. */
export function csv(headers: string[], rows: unknown[][]): string {
  return [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
