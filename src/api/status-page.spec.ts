import { createHash } from 'node:crypto';
import { escapeHtml, renderStatusPage, STATUS_PAGE_CSP, StatusPageView } from 'src/api/status-page';
import { MetricType } from 'src/core/model/metric-family';
import { groupView } from 'src/core/status-page/group-view';
import { helpExamples } from 'src/core/status-page/help-examples';
import { parseStatusPageQuery } from 'src/core/status-page/page-request';

/** Breaks out of text, of double- and single-quoted attributes, and starts markup. */
const EVIL = `"'><img src=x onerror=alert(1)><script>alert(2)</script>&amp;`;
const NOW = 1_764_700_000;

function view(tab: 'groups' | 'status' | 'help', routePrefix = ''): StatusPageView {
  const { request } = parseStatusPageQuery({ tab, q: EVIL, stale: EVIL });
  const group = groupView(
    {
      tenant: EVIL,
      labels: { job: EVIL, [EVIL]: EVIL },
      exposedLabels: { job: EVIL },
      pushTime: NOW - 60,
      pushFailureTime: NOW - 1,
      expiresAt: NOW + 60,
      families: [
        {
          name: 'm',
          type: MetricType.GAUGE,
          help: EVIL,
          pushedAt: NOW - 60,
          exposition: `m{job=${JSON.stringify(EVIL)},v=${JSON.stringify(EVIL)}} 1\n${EVIL}\n`,
        },
      ],
    },
    { now: NOW, staleMs: 1000, maxLines: 100, deleteTenant: EVIL, utf8Names: true },
  );
  return {
    routePrefix,
    request,
    problems: [EVIL],
    version: EVIL,
    viewer: EVIL,
    groups: tab === 'groups' ? { items: [group], total: 2, visible: 3, next: { ...request, cursor: EVIL, start: 2 }, wipe: true } : undefined,
    status:
      tab === 'status'
        ? {
            build: [[EVIL, EVIL]],
            replica: { id: EVIL, started: EVIL, uptime: EVIL },
            database: { engine: 'postgres', location: EVIL, ready: false, problem: EVIL },
            counts: { groups: 1, families: 2, series: 3 },
            settings: [[EVIL, EVIL]],
          }
        : undefined,
    help: tab === 'help' ? { baseUrl: EVIL, examples: helpExamples({ scheme: 'http', host: EVIL, routePrefix, authEnabled: true }) } : undefined,
  };
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('renderStatusPage', () => {
  it.each(['groups', 'status', 'help'] as const)('%s tab: every user-controlled string stays text', (tab) => {
    const html = renderStatusPage(view(tab));
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script>/g)).toHaveLength(1);
    // The hostile text is there, as text.
    expect(html).toContain(escapeHtml(EVIL).slice(0, 20));
  });

  it.each(['groups', 'status', 'help'] as const)('%s tab: the style and script match the CSP hashes; no inline handlers or style attributes', (tab) => {
    const html = renderStatusPage(view(tab));
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');
    expect(STATUS_PAGE_CSP).toContain(`style-src 'sha256-${sha(style)}'`);
    expect(STATUS_PAGE_CSP).toContain(`script-src 'sha256-${sha(script)}'`);
    // Attribute values are all double-quoted (and escaped), so with them blanked only markup is left.
    const markup = html.replace(/"[^"]*"/g, '""');
    expect(markup).not.toMatch(/<[^>]*\son[a-z]+=/i);
    expect(markup).not.toMatch(/<[^>]*\sstyle=/i);
  });

  it('groups tab: label names that are not legacy names are quoted as Prometheus 3 writes them, in the key and in series rows', () => {
    const group = groupView(
      {
        tenant: '',
        labels: { job: 'j', 'some.label': 'v' },
        exposedLabels: { job: 'j', 'some.label': 'v', instance: '' },
        pushTime: NOW - 60,
        pushFailureTime: 0,
        families: [
          {
            name: 'my.metric',
            type: MetricType.GAUGE,
            help: '',
            pushedAt: NOW - 60,
            exposition: '{"my.metric",instance="",job="j","my.label"="x",plain="y","some.label"="v"} 1\n',
          },
        ],
      },
      { now: NOW, maxLines: 100, utf8Names: true },
    );
    const html = renderStatusPage({ ...view('groups'), groups: { items: [group], total: 1, visible: 1, wipe: false } });
    expect(html).toContain('<span class="lbl job"><b>job</b>=&quot;j&quot;</span><span class="lbl"><b>&quot;some.label&quot;</b>=&quot;v&quot;</span>');
    expect(html).toContain('<span class="lbl"><b>&quot;my.label&quot;</b>=&quot;x&quot;</span><span class="lbl"><b>plain</b>=&quot;y&quot;</span>');
  });

  it('groups tab: the markers, hidden delete buttons, and links under the route prefix', () => {
    const html = renderStatusPage(view('groups', '/pgw'));
    expect(html).toContain('Last push failed!');
    expect(html).toContain('<span class="flag stale">Stale: no push for 1m</span>');
    expect(html).toMatch(/Expires: <time[^>]*>[^<]*<\/time> \(in 1m\)/);
    const buttons = html.match(/<button[^>]*data-path="[^"]*"[^>]*>/g) ?? [];
    expect(buttons).toHaveLength(2);
    for (const b of buttons) {
      expect(b).toMatch(/ hidden /);
      expect(b).toMatch(/data-path="\/pgw\/(metrics\/job@base64\/|api\/v1\/admin\/wipe)/);
    }
    expect(html).toContain('action="/pgw"');
    expect(html).toMatch(/<a class="button" rel="next" href="\/pgw\?[^"]*cursor=/);
    expect(html).toContain('<a href="/pgw?tab=status">Status</a>');
    expect(html).toContain('Groups <b>1–1</b> of <b>2</b> (3 in all)');
  });

  it('groups tab: a filter error is shown instead of a listing', () => {
    const v = view('groups');
    const html = renderStatusPage({ ...v, groups: { items: [], total: 0, visible: 3, filterError: 'match[] "{": unexpected end of input', wipe: false } });
    expect(html).toContain('<div class="problems error" role="alert"><p>match[] &quot;{&quot;: unexpected end of input</p></div>');
    expect(html).not.toContain('<article');
  });

  it('groups tab: an empty store says how to start', () => {
    const v = view('groups');
    const html = renderStatusPage({ ...v, request: parseStatusPageQuery({}).request, groups: { items: [], total: 0, visible: 0, wipe: false } });
    expect(html).toContain('Nothing has been pushed yet');
    expect(html).not.toContain('rel="next"');
  });
});
