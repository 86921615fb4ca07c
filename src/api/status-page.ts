import { StoredGroup } from 'src/storage/metric-group.repository';
import { typeName } from 'src/core/consistency/family-names';
import { rfc3339 } from 'src/core/scrape/json-api';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url') || '=';
}

/** Path that deletes exactly this grouping key, every value base64-encoded so any value is safe. */
function deletePath(labels: Record<string, string>): string {
  const rest = Object.entries(labels)
    .filter(([name]) => name !== 'job')
    .map(([name, value]) => `/${name}@base64/${b64url(value)}`)
    .join('');
  return labels.job === undefined ? `api/v2/metrics${rest}` : `metrics/job@base64/${b64url(labels.job)}${rest}`;
}

/** Renders the status page (no scripts beyond the delete buttons, no external assets). */
export function renderStatusPage(groups: readonly StoredGroup[], opts: { routePrefix: string; adminApiEnabled: boolean }): string {
  const base = `${opts.routePrefix}/`;
  const sorted = [...groups].sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
  const rows = sorted
    .map((g) => {
      const key = Object.entries(g.labels)
        .sort(([a], [b]) => (a === 'job' ? -1 : b === 'job' ? 1 : a < b ? -1 : 1))
        .map(([n, v]) => `${esc(n)}="${esc(v)}"`)
        .join(' ');
      const families = g.families
        .map((f) => `<li><code>${esc(f.name)}</code> ${typeName(f.type)} — ${esc(f.help)} <small>(last pushed ${rfc3339(f.pushedAt)})</small></li>`)
        .join('');
      const tenant = g.tenant === '' ? '' : ` <small>tenant ${esc(g.tenant)}</small>`;
      return `<details><summary>${key}${tenant} — last push ${g.pushTime > 0 ? rfc3339(g.pushTime) : 'never'}${
        g.pushFailureTime > g.pushTime ? ' <strong>(last push failed)</strong>' : ''
      }</summary><ul>${families}</ul><button data-path="${esc(deletePath(g.labels))}" onclick="del(this)">Delete Group</button></details>`;
    })
    .join('\n');
  const wipe = opts.adminApiEnabled ? `<button onclick="wipe()">Delete All Groups</button>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Pushgateway</title>
<style>body{font-family:sans-serif;margin:2em}details{margin:.5em 0;padding:.5em;border:1px solid #ccc}code{font-weight:bold}</style></head>
<body><h1>Pushgateway</h1><p>${groups.length} group(s). ${wipe}</p>
${rows}
<script>
function del(b){if(confirm('Delete this group?'))fetch(${JSON.stringify(base)}+b.dataset.path,{method:'DELETE'}).then(()=>location.reload());}
function wipe(){if(confirm('Delete ALL groups?'))fetch(${JSON.stringify(base)}+'api/v1/admin/wipe',{method:'PUT'}).then(()=>location.reload());}
</script></body></html>`;
}
