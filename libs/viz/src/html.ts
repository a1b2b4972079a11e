// One self-contained HTML report: headings, paragraphs, tables and the charts' SVG markup inline, so the file
// opens anywhere with no network (no CDN, no separate image files).

export interface HtmlBlock {
  heading?: string;
  /** plain text paragraphs (escaped) */
  text?: string[];
  /** a table: header and rows of plain text cells (escaped) */
  table?: { header: string[]; rows: string[][] };
  /** SVG markup from renderSvg, inlined as is */
  svg?: string;
  caption?: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}figure{margin:1em 0}
figcaption{color:#666;font-size:.85em}svg{max-width:100%;height:auto}`;

export function htmlReport(title: string, blocks: HtmlBlock[]): string {
  const body = blocks.map((b) => {
    const parts: string[] = [];
    if (b.heading) parts.push(`<h2>${escapeHtml(b.heading)}</h2>`);
    for (const t of b.text ?? []) parts.push(`<p>${escapeHtml(t)}</p>`);
    if (b.table) {
      // numbers: "80.67 ± 2.08", "+0.65 [-1.74, +3.04] ▼ (n = 3)"; †: a flagged result, ▲ / ▼: a significant one
      const num = (c: string) =>
        /^[-+]?[\d.,]+( ± [\d.]+)?( \[[-+]?[\d.]+, [-+]?[\d.]+\])?%?( [▲▼])?( †)?( \(n = \d+\))?$/.test(c);
      parts.push(
        `<table><thead><tr>${b.table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
          b.table.rows
            .map((r) => `<tr>${r.map((c) => `<td${num(c) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
            .join('') +
          '</tbody></table>',
      );
    }
    if (b.svg)
      parts.push(
        `<figure>${b.svg.replace(/^<\?xml[^>]*>\s*/, '')}${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`,
      );
    return parts.join('\n');
  });
  return (
    `<!doctype html>\n<html lang="en"><head><meta ` +
    `charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1>\n${body.join('\n')}\n</body></html>\n`
  );
}
