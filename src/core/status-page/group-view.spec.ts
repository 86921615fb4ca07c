import { MetricType } from 'src/core/model/metric-family';
import { groupView, GroupViewOptions, ViewableGroup } from 'src/core/status-page/group-view';

const NOW = 1_764_700_000;

function group(overrides: Partial<ViewableGroup> = {}): ViewableGroup {
  return {
    tenant: '',
    labels: { job: 'backup', instance: 'db1' },
    exposedLabels: { job: 'backup', instance: 'db1' },
    pushTime: NOW - 192,
    pushFailureTime: 0,
    families: [
      {
        name: 'backup_size_bytes',
        type: MetricType.GAUGE,
        help: 'Size of the last backup.',
        pushedAt: NOW - 192,
        exposition:
          'backup_size_bytes{instance="db1",job="backup",volume="data"} 2.7e+09\nbackup_size_bytes{instance="db1",job="backup",volume="wal"} 4.2e+08\n',
      },
    ],
    ...overrides,
  };
}

const OPTIONS: GroupViewOptions = { now: NOW, maxLines: 100, deleteTenant: '', utf8Names: false };

describe('groupView', () => {
  it('shows labels (job first), times, sizes, and each series without the labels every series carries', () => {
    const view = groupView(group(), OPTIONS);
    expect(view).toMatchObject({
      labels: [
        ['job', 'backup'],
        ['instance', 'db1'],
      ],
      tenant: '',
      lastPush: { unix: NOW - 192, iso: new Date((NOW - 192) * 1000).toISOString(), distance: '3m 12s' },
      lastFailure: undefined,
      lastPushFailed: false,
      stale: undefined,
      expires: undefined,
      deletePath: 'metrics/job/backup/instance/db1',
      selector: '{job="backup",instance="db1"}',
      familyCount: 1,
      seriesCount: 2,
    });
    expect(view.families[0]).toEqual({
      name: 'backup_size_bytes',
      type: 'gauge',
      help: 'Size of the last backup.',
      pushedAt: view.lastPush,
      rows: [
        { name: 'backup_size_bytes', labels: [['volume', 'data']], value: '2.7e+09' },
        { name: 'backup_size_bytes', labels: [['volume', 'wal']], value: '4.2e+08' },
      ],
      hidden: 0,
    });
  });

  it.each<[string, Partial<ViewableGroup>, boolean]>([
    ['a failure after the last success', { pushFailureTime: NOW - 10 }, true],
    ['a failure before the last success', { pushFailureTime: NOW - 500 }, false],
    ['only failures, never a success', { pushTime: 0, pushFailureTime: NOW - 10 }, true],
    ['no failure', {}, false],
  ])('marks the last push failed: %s', (_name, overrides, failed) => {
    const view = groupView(group(overrides), OPTIONS);
    expect(view.lastPushFailed).toBe(failed);
    expect(view.lastFailure?.unix).toBe(overrides.pushFailureTime || undefined);
  });

  it.each<[string, number | undefined, Partial<ViewableGroup>, string | undefined]>([
    ['no stale age: never stale', undefined, { pushTime: NOW - 86400 * 30 }, undefined],
    ['younger than the age', 300_000, { pushTime: NOW - 299 }, undefined],
    ['exactly the age: not yet', 300_000, { pushTime: NOW - 300 }, undefined],
    ['older than the age', 300_000, { pushTime: NOW - 7509 }, 'no push for 2h 5m'],
    ['never pushed successfully', 300_000, { pushTime: 0, pushFailureTime: NOW - 1 }, 'no successful push'],
  ])('stale hint: %s', (_name, staleMs, overrides, stale) => {
    expect(groupView(group(overrides), { ...OPTIONS, staleMs }).stale).toBe(stale);
  });

  it('shows the expiry of a group with a TTL', () => {
    expect(groupView(group({ expiresAt: NOW + 3600 }), OPTIONS).expires).toEqual({
      unix: NOW + 3600,
      iso: new Date((NOW + 3600) * 1000).toISOString(),
      distance: '1h',
    });
  });

  it.each<[string, string, string | undefined, boolean]>([
    ['auth off: every group', '', '', true],
    ['an operator: groups without a tenant', '', '', true],
    ["an operator: not a tenant's group (the exact-key DELETE would miss it)", 'acme', '', false],
    ['a tenant: its own groups', 'acme', 'acme', true],
    ['a viewer without the push scope', '', undefined, false],
  ])('delete path: %s', (_name, tenant, deleteTenant, deletable) => {
    expect(groupView(group({ tenant }), { ...OPTIONS, deleteTenant }).deletePath !== undefined).toBe(deletable);
  });

  it('cuts each family at maxLines and counts the rest', () => {
    const exposition = Array.from({ length: 7 }, (_, i) => `m{job="backup",instance="db1",i="${i}"} ${i}\n`).join('');
    const view = groupView(group({ families: [{ name: 'm', type: MetricType.UNTYPED, help: '', pushedAt: NOW, exposition }] }), { ...OPTIONS, maxLines: 3 });
    expect(view.families[0].rows.map((r) => r.value)).toEqual(['0', '1', '2']);
    expect(view.families[0].hidden).toBe(4);
    expect(view.seriesCount).toBe(7);
  });

  it('keeps labels that differ from the group\'s, drops the tenant label and instance=""', () => {
    const exposition = 'm{instance="",job="batch",tenant_userid="acme",job_x="1"} 1\nm{instance="other",job="batch",tenant_userid="acme"} 2\n';
    const view = groupView(
      group({
        tenant: 'acme',
        labels: { job: 'batch' },
        exposedLabels: { job: 'batch', instance: '', tenant_userid: 'acme' },
        families: [{ name: 'm', type: MetricType.COUNTER, help: '', pushedAt: NOW, exposition }],
      }),
      OPTIONS,
    );
    expect(view.families[0].rows.map((r) => r.labels)).toEqual([[['job_x', '1']], [['instance', 'other']]]);
    expect(view.families[0].type).toBe('counter');
  });

  it('shows a line it cannot read as it is', () => {
    const view = groupView(group({ families: [{ name: 'm', type: MetricType.GAUGE, help: '', pushedAt: NOW, exposition: 'm{broken 1\n' }] }), OPTIONS);
    expect(view.families[0].rows).toEqual([{ name: '', labels: [], value: '', raw: 'm{broken 1' }]);
  });
});
