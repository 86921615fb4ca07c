import { createHash } from 'node:crypto';
import { displayLabelName, formatCount } from 'src/core/status-page/format';
import { GroupView, SeriesRow, TimeView } from 'src/core/status-page/group-view';
import { HelpExample } from 'src/core/status-page/help-examples';
import { DEFAULT_LINES, DEFAULT_PAGE_SIZE, StatusPageRequest, StatusTab, statusPageQuery } from 'src/core/status-page/page-request';
import { StoreCounts } from 'src/core/status-page/store-counts';

/** What the groups tab shows: one page of groups, already cut by the core. */
export interface GroupsTabView {
  items: GroupView[];
  /** Groups the filter matches across all pages. */
  total: number;
  /** Groups this viewer can see, filtered or not. */
  visible: number;
  /** Query of the next page's link; undefined on the last page. */
  next?: Partial<StatusPageRequest>;
  /** The filter box's text could not be read: nothing is listed. */
  filterError?: string;
  /** Show "Delete all groups" (the admin API is on and this viewer may use it). */
  wipe: boolean;
}

export interface StatusTabView {
  build: [string, string][];
  replica: { id: string; started: string; uptime: string };
  database: { engine: 'postgres' | 'embedded'; location: string; ready: boolean; problem?: string };
  /** Undefined when the store could not be read. */
  counts?: StoreCounts;
  settings: [string, string][];
}

export interface HelpTabView {
  baseUrl: string;
  examples: HelpExample[];
}

/** Everything one rendering of the page needs; the renderer adds nothing but markup. */
export interface StatusPageView {
  routePrefix: string;
  request: StatusPageRequest;
  /** Bad URL parameters (each fell back to its default). */
  problems: string[];
  version: string;
  /** Who is looking, when auth is on: `tenant acme` or `operator`. */
  viewer?: string;
  groups?: GroupsTabView;
  status?: StatusTabView;
  help?: HelpTabView;
}

const CSS = `
:root{--fg:#1d2329;--muted:#5d6b78;--line:#d8dee4;--bg:#f4f6f8;--card:#fff;--accent:#e6522c;--bar:#20262d;--badge:#eef2f6;--job:#fde9e3;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--warnbg:#fff4d6;--badbg:#fdecea}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:#0b62c4}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:13px}
header.top{background:var(--bar);color:#fff;display:flex;align-items:center;gap:24px;padding:0 24px;height:52px}
header.top .brand{font-weight:600;font-size:17px;color:#fff;text-decoration:none;display:flex;align-items:center;gap:8px}
header.top .brand i{display:inline-block;width:14px;height:14px;border-radius:50%;background:var(--accent)}
nav.tabs{display:flex;gap:4px;height:100%}
nav.tabs a{color:#c9d1d9;text-decoration:none;padding:0 14px;display:flex;align-items:center;border-bottom:3px solid transparent}
nav.tabs a:hover{color:#fff}
nav.tabs a[aria-current=page]{color:#fff;border-bottom-color:var(--accent)}
header.top .who{margin-left:auto;color:#c9d1d9;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
form.filters input[type=search]{flex:1 1 340px;padding:7px 10px;border:1px solid var(--line);border-radius:6px;font:inherit;font-family:ui-monospace,Menlo,Consolas,monospace}
form.filters input[name=stale]{width:70px;padding:6px 8px;border:1px solid var(--line);border-radius:6px;font:inherit}
form.filters select{padding:6px;border:1px solid var(--line);border-radius:6px;font:inherit;background:#fff}
form.filters label{color:var(--muted);display:flex;gap:6px;align-items:center}
button,.button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid var(--line);background:#fff;color:var(--fg);cursor:pointer;text-decoration:none}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{color:var(--bad);border-color:#efb8b8}
button.danger:hover{background:var(--badbg)}
.summary{display:flex;align-items:center;gap:12px;margin:16px 2px 10px;color:var(--muted)}
.summary .spacer{flex:1}
.problems{background:var(--warnbg);border:1px solid #f0d58c;border-radius:8px;padding:10px 14px;margin:12px 0;color:#5c4400}
.problems p{margin:2px 0}
.error{background:var(--badbg);border:1px solid #f3b7b3;color:var(--bad)}
.empty{background:var(--card);border:1px dashed var(--line);border-radius:8px;padding:32px;text-align:center;color:var(--muted)}
article.group{background:var(--card);border:1px solid var(--line);border-left:4px solid #9fb3c8;border-radius:8px;margin:0 0 10px}
article.group.failed{border-left-color:var(--bad)}
article.group.stale{border-left-color:#d4a72c}
article.group>header{display:grid;grid-template-columns:1fr auto;gap:6px 16px;padding:10px 14px 8px}
.key{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.lbl{display:inline-block;background:var(--badge);border:1px solid #dde3ea;border-radius:12px;padding:1px 9px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;white-space:pre-wrap;word-break:break-all}
.lbl b{font-weight:600;color:#39434d}
.key .lbl.job{background:var(--job);border-color:#f6c7b9}
.tenant{font-size:12px;color:#6e40c9;background:#f3edff;border-radius:12px;padding:1px 9px}
.flag{font-size:12px;font-weight:600;border-radius:12px;padding:1px 9px}
.flag.failed{color:#fff;background:var(--bad)}
.flag.stale{color:var(--warn);background:var(--warnbg);border:1px solid #f0d58c}
.tools{display:flex;gap:8px;align-items:start;justify-content:end}
.tools a{font-size:12.5px;padding:6px 4px}
.tools button{padding:3px 10px;font-size:12.5px}
.meta{grid-column:1/-1;color:var(--muted);font-size:12.5px;display:flex;flex-wrap:wrap;gap:4px 18px}
.meta .bad{color:var(--bad)}
details{border-top:1px solid #edf0f3}
details>summary{cursor:pointer;padding:7px 14px;color:var(--muted);font-size:13px;list-style-position:inside}
details>summary:hover{color:var(--fg)}
section.family{padding:4px 14px 10px 30px}
section.family h3{margin:8px 0 2px;font-size:14px;display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.type{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;border-radius:4px;padding:0 6px;background:#e8f0fe;color:#1a56b8}
.type.counter{background:#e6f4ea;color:var(--ok)}
.type.histogram,.type.gaugehistogram{background:#f3e8fd;color:#7b3fc4}
.type.summary{background:#fef3e0;color:#a15c00}
.type.untyped{background:#eceff1;color:#546e7a}
.pushed{font-size:12px;font-weight:400;color:var(--muted)}
p.help{margin:0 0 6px;color:var(--muted);white-space:pre-wrap}
table.series{border-collapse:collapse;width:100%}
table.series td{border-top:1px solid #f0f2f5;padding:3px 8px 3px 0;vertical-align:top}
table.series td.v{text-align:right;font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap;width:1%;padding-left:16px}
table.series .n{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;margin-right:6px}
table.series .lbl{margin:1px 4px 1px 0}
table.series .quiet{color:var(--muted)}
.more{color:var(--muted);font-size:12.5px;margin:6px 0 0}
nav.pager{display:flex;gap:12px;justify-content:center;align-items:center;margin:18px 0}
nav.pager a{background:var(--card)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(270px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.card h2{font-size:15px;margin:0 0 10px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:5px 16px;margin:0}
.card dt{color:var(--muted)}
.card dd{margin:0;overflow-wrap:anywhere}
.ok{color:var(--ok);font-weight:600}
.notok{color:var(--bad);font-weight:600}
table.settings{border-collapse:collapse;width:100%}
table.settings td{border-top:1px solid #f0f2f5;padding:4px 12px 4px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
table.settings td:first-child{color:var(--muted);white-space:nowrap;width:1%;padding-right:40px}
.help-intro{margin:0 0 14px}
.toc{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.toc a{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:2px 12px;text-decoration:none}
.card pre{background:#1f252c;color:#e6edf3;border-radius:6px;padding:12px 14px;overflow-x:auto;margin:10px 0 0;white-space:pre;tab-size:4}
.stack{display:grid;gap:14px}
.card p{margin:0}
.card.wide{margin-top:14px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}
`;

// Runs only to enable deleting; reading never needs it. No inline handlers: the CSP allows this
// one script by its hash and nothing else.
const SCRIPT = `
for (const b of document.querySelectorAll('button[data-path]')) {
  b.hidden = false;
  b.addEventListener('click', async () => {
    if (!confirm(b.dataset.confirm)) return;
    b.disabled = true;
    try {
      const res = await fetch(b.dataset.path, { method: b.dataset.method, credentials: 'same-origin' });
      if (!res.ok) throw new Error('HTTP ' + res.status + ': ' + (await res.text()));
      location.reload();
    } catch (e) {
      alert('Delete failed. ' + e.message);
      b.disabled = false;
    }
  });
}
for (const b of document.querySelectorAll('button[data-expand]')) {
  b.hidden = false;
  b.addEventListener('click', () => {
    const open = b.dataset.expand === 'open';
    for (const d of document.querySelectorAll('article.group details')) d.open = open;
  });
}
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: nothing loads from anywhere but this gateway, the page's
 * one style block and one script run by their hashes only (so injected markup could run nothing),
 * fetch only to this origin, forms only to this origin, and no framing.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hash(CSS)}`,
  `script-src ${hash(SCRIPT)}`,
  "connect-src 'self'",
  'img-src data:',
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const e = escapeHtml;

/** The page's own address: `/`, or the bare route prefix (Nest serves `/prefix`, not `/prefix/`). */
function pageUrl(view: StatusPageView): string {
  return view.routePrefix === '' ? '/' : view.routePrefix;
}

const TAB_TITLES: [StatusTab, string][] = [
  ['groups', 'Groups'],
  ['status', 'Status'],
  ['help', 'Help'],
];

/** The whole page for `view`: a pure function of its input, every user-controlled string escaped. */
export function renderStatusPage(view: StatusPageView): string {
  const base = `${view.routePrefix}/`;
  const tab = view.request.tab;
  const tabs = TAB_TITLES.map(
    ([id, title]) => `<a href="${e(pageUrl(view) + statusPageQuery({ tab: id }))}"${id === tab ? ' aria-current="page"' : ''}>${title}</a>`,
  ).join('');
  const body =
    view.groups !== undefined
      ? groupsTab(view, view.groups)
      : view.status !== undefined
        ? statusTab(view.status)
        : view.help !== undefined
          ? helpTab(view.help)
          : '';
  const problems = view.problems.length === 0 ? '' : `<div class="problems" role="alert">${view.problems.map((p) => `<p>${e(p)}</p>`).join('')}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${TAB_TITLES.find(([id]) => id === tab)?.[1] ?? ''} · Pushgateway</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><header class="top"><a class="brand" href="${e(pageUrl(view))}"><i></i>Pushgateway</a><nav class="tabs">${tabs}</nav>${
    view.viewer === undefined ? '' : `<span class="who">${e(view.viewer)}</span>`
  }</header>
<main>${problems}${body}</main>
<footer>durable-pushgateway ${e(view.version)} · <a href="${e(base)}metrics">metrics</a> · <a href="${e(base)}api/v1/status">api/v1/status</a></footer>
<script>${SCRIPT}</script></body></html>`;
}

function groupsTab(view: StatusPageView, tab: GroupsTabView): string {
  const r = view.request;
  const base = `${view.routePrefix}/`;
  const page = pageUrl(view);
  const option = (value: string, label: string): string => `<option value="${value}"${r.order === value ? ' selected' : ''}>${label}</option>`;
  const keep = [
    r.limit !== DEFAULT_PAGE_SIZE ? `<input type="hidden" name="limit" value="${r.limit}">` : '',
    r.lines !== DEFAULT_LINES ? `<input type="hidden" name="lines" value="${r.lines === Number.POSITIVE_INFINITY ? 'all' : r.lines}">` : '',
  ].join('');
  const form = `<form class="filters" method="get" action="${e(page)}">
<input type="search" name="q" value="${e(r.filter)}" placeholder='Filter: {job="backup",instance=~"db.*"} or words' aria-label="Filter groups">
<label>Sort <select name="order" aria-label="Sort">${option('key', 'by grouping key')}${option('push', 'by last push')}</select></label>
<label>Stale after <input name="stale" value="${e(r.stale)}" placeholder="1h" aria-label="Stale after"></label>
<label><input type="checkbox" name="stale_only" value="1"${r.staleOnly ? ' checked' : ''}> only stale</label>${keep}
<button type="submit" class="primary">Apply</button><a class="button" href="${e(page)}">Reset</a></form>`;
  if (tab.filterError !== undefined) {
    return `${form}<div class="problems error" role="alert"><p>${e(tab.filterError)}</p></div>`;
  }
  const first = tab.items.length === 0 ? 0 : r.start;
  const last = r.start + tab.items.length - 1;
  const filtered = tab.total === tab.visible ? '' : ` (${formatCount(tab.visible)} in all)`;
  const caption =
    tab.total === 0
      ? `No groups${tab.visible === 0 ? ' yet' : ' match'}`
      : `Groups <b>${formatCount(first)}–${formatCount(last)}</b> of <b>${formatCount(tab.total)}</b>${filtered}, ${
          r.order === 'push' ? 'newest push first' : 'by grouping key'
        }`;
  const actions =
    `<button type="button" data-expand="open" hidden>Expand all</button><button type="button" data-expand="close" hidden>Collapse all</button>` +
    (tab.wipe
      ? `<button type="button" class="danger" hidden data-path="${e(base)}api/v1/admin/wipe" data-method="PUT" data-confirm="Delete ALL groups?">Delete all groups</button>`
      : '');
  const list =
    tab.items.length === 0
      ? `<div class="empty">${tab.visible === 0 ? 'Nothing has been pushed yet. The Help tab shows how.' : 'No group matches the filter.'}</div>`
      : tab.items.map((g) => groupCard(g, view)).join('\n');
  const pager =
    tab.next === undefined && r.cursor === undefined
      ? ''
      : `<nav class="pager">${r.cursor === undefined ? '' : `<a class="button" href="${e(page + statusPageQuery({ ...r, cursor: undefined, start: undefined }))}">« First page</a>`}${
          tab.next === undefined ? '' : `<a class="button" rel="next" href="${e(page + statusPageQuery(tab.next))}">Next ${r.limit} groups »</a>`
        }</nav>`;
  return `${form}<div class="summary"><span>${caption}</span><span class="spacer"></span>${actions}</div>${list}${pager}`;
}

function when(t: TimeView, future = false): string {
  const text = `${t.iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`;
  return `<time datetime="${t.iso}" title="${t.iso}">${text}</time> (${future ? `in ${t.distance}` : `${t.distance} ago`})`;
}

function label(name: string, value: string, extra = ''): string {
  return `<span class="lbl${extra}"><b>${e(displayLabelName(name))}</b>=${e(JSON.stringify(value))}</span>`;
}

function groupCard(g: GroupView, view: StatusPageView): string {
  const base = `${view.routePrefix}/`;
  const page = pageUrl(view);
  const classes = ['group', g.lastPushFailed ? 'failed' : '', g.stale !== undefined ? 'stale' : ''].filter((c) => c !== '').join(' ');
  const key =
    g.labels.map(([n, v]) => label(n, v, n === 'job' ? ' job' : '')).join('') + (g.tenant === '' ? '' : `<span class="tenant">tenant ${e(g.tenant)}</span>`);
  const flags = [
    g.lastPushFailed ? `<span class="flag failed" title="A push to this group was refused after its last successful push">Last push failed!</span>` : '',
    g.stale === undefined ? '' : `<span class="flag stale">Stale: ${e(g.stale)}</span>`,
  ].join('');
  const meta = [
    `<span>Last push: ${g.lastPush === undefined ? 'never succeeded' : when(g.lastPush)}</span>`,
    g.lastFailure === undefined ? '' : `<span${g.lastPushFailed ? ' class="bad"' : ''}>Last failed push: ${when(g.lastFailure)}</span>`,
    g.expires === undefined ? '' : `<span>Expires: ${when(g.expires, true)}</span>`,
    `<span>${g.familyCount} ${g.familyCount === 1 ? 'family' : 'families'}, ${g.seriesCount} series</span>`,
  ].join('');
  const permalink = page + statusPageQuery({ filter: g.selector, lines: Number.POSITIVE_INFINITY });
  const del =
    g.deletePath === undefined
      ? ''
      : `<button type="button" class="danger" hidden data-path="${e(base + g.deletePath)}" data-method="DELETE" data-confirm="${e(
          `Delete the group ${g.selector}${g.tenant === '' ? '' : ` of tenant ${g.tenant}`}?`,
        )}">Delete group</button>`;
  const families = g.families
    .map((f) => {
      const rows = f.rows.map((row) => seriesRow(row, f.name)).join('');
      const more = f.hidden === 0 ? '' : `<p class="more">${f.hidden} more series not shown. <a href="${e(permalink)}">Show all series of this group</a></p>`;
      return `<section class="family"><h3><code>${e(f.name)}</code><span class="type ${e(f.type)}">${e(f.type)}</span><span class="pushed">pushed ${when(
        f.pushedAt,
      )}</span></h3>${f.help === '' ? '' : `<p class="help">${e(f.help)}</p>`}<table class="series">${rows}</table>${more}</section>`;
    })
    .join('');
  return `<article class="${classes}" data-selector="${e(g.selector)}">
<header><div class="key">${key}${flags}</div><div class="tools"><a href="${e(permalink)}" title="This group alone, every series shown">only this group</a>${del}</div>
<div class="meta">${meta}</div></header>
<details><summary>Metrics: ${g.familyCount} ${g.familyCount === 1 ? 'family' : 'families'}, ${g.seriesCount} series</summary>${families}</details>
</article>`;
}

function seriesRow(row: SeriesRow, family: string): string {
  if (row.raw !== undefined) {
    return `<tr><td colspan="2" class="mono">${e(row.raw)}</td></tr>`;
  }
  const suffix = row.name === family ? '' : row.name.startsWith(family) ? row.name.slice(family.length) : row.name;
  // A series with no labels of its own would leave the cell empty: name it instead.
  const name = suffix !== '' ? `<span class="n">${e(suffix)}</span>` : row.labels.length === 0 ? `<span class="n quiet">${e(row.name)}</span>` : '';
  return `<tr><td>${name}${row.labels.map(([n, v]) => label(n, v)).join('')}</td><td class="v">${e(row.value)}</td></tr>`;
}

function statusTab(s: StatusTabView): string {
  const dl = (rows: [string, string][]): string => `<dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
  const db = s.database;
  const ready = db.ready ? '<span class="ok">ready</span>' : `<span class="notok">not ready</span>${db.problem === undefined ? '' : `: ${e(db.problem)}`}`;
  const counts =
    s.counts === undefined
      ? '<p class="notok">The store could not be read.</p>'
      : dl([
          ['Groups', formatCount(s.counts.groups)],
          ['Metric families', formatCount(s.counts.families)],
          ['Series', formatCount(s.counts.series)],
        ]);
  return `<div class="cards">
<section class="card"><h2>Build</h2>${dl(s.build)}</section>
<section class="card"><h2>This replica</h2>${dl([
    ['Replica', s.replica.id],
    ['Started', s.replica.started],
    ['Uptime', s.replica.uptime],
  ])}</section>
<section class="card" id="database"><h2>Database</h2><dl><dt>Engine</dt><dd>${e(db.engine)}</dd><dt>Location</dt><dd>${e(db.location)}</dd><dt>Readiness</dt><dd>${ready}</dd></dl></section>
<section class="card" id="store"><h2>Store</h2>${counts}</section>
</div>
<section class="card wide"><h2>Settings</h2><table class="settings">${s.settings.map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`).join('')}</table></section>`;
}

function helpTab(h: HelpTabView): string {
  const toc = h.examples.map((x) => `<a href="#${e(x.id)}">${e(x.title)}</a>`).join('');
  const sections = h.examples
    .map((x) => `<section class="card" id="${e(x.id)}"><h2>${e(x.title)}</h2><p>${e(x.text)}</p><pre><code>${e(x.code)}</code></pre></section>`)
    .join('\n');
  return `<p class="help-intro">This gateway's address is <code>${e(h.baseUrl)}</code>. Push with any Prometheus client library or plain HTTP; every replica behind the same database serves the same groups.</p>
<nav class="toc">${toc}</nav><div class="stack">${sections}</div>`;
}
