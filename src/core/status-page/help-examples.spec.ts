import { baseUrlOf, helpExamples, HelpTarget } from 'src/core/status-page/help-examples';

const PLAIN: HelpTarget = { scheme: 'http', host: 'gw.example:9091', routePrefix: '', authEnabled: false };

const code = (target: HelpTarget, id: string): string => helpExamples(target).find((x) => x.id === id)?.code ?? '';

describe('baseUrlOf', () => {
  it.each<[string, HelpTarget, string]>([
    ['plain', PLAIN, 'http://gw.example:9091'],
    ['a prefix and https', { ...PLAIN, scheme: 'https', routePrefix: '/pgw' }, 'https://gw.example:9091/pgw'],
  ])('%s', (_name, target, expected) => {
    expect(baseUrlOf(target)).toBe(expected);
  });
});

describe('helpExamples', () => {
  it("writes every URL with this gateway's base URL and prefix", () => {
    const target = { ...PLAIN, routePrefix: '/pgw' };
    const all = helpExamples(target);
    expect(all.map((x) => x.id)).toEqual(['push-curl', 'base64', 'delete', 'go', 'python', 'node', 'java', 'scrape', 'endpoints']);
    expect(code(target, 'push-curl')).toContain('curl --data-binary @- http://gw.example:9091/pgw/metrics/job/backup/instance/db1\n');
    expect(code(target, 'go')).toContain('push.New("http://gw.example:9091/pgw", "backup")');
    expect(code(target, 'python')).toContain("push_to_gateway('http://gw.example:9091/pgw', job='backup'");
    expect(code(target, 'node')).toContain("new client.Pushgateway('http://gw.example:9091/pgw', {}, registry)");
    expect(code(target, 'scrape')).toContain('metrics_path: /pgw/metrics');
    expect(helpExamples(target).find((x) => x.id === 'java')?.text).toMatch(/may not reach this gateway under \/pgw/);
    expect(code(PLAIN, 'scrape')).not.toContain('metrics_path');
  });

  it('shows the base64 form with the real encoding', () => {
    const text = code(PLAIN, 'base64');
    expect(text).toContain(`path@base64/${Buffer.from('/var/backups').toString('base64url')}`);
  });

  it('sends the token in every example when auth is on, and explains tokens first', () => {
    const target = { ...PLAIN, authEnabled: true };
    const all = helpExamples(target);
    expect(all[0].id).toBe('auth');
    expect(code(target, 'push-curl')).toContain('curl -H "Authorization: Bearer $PUSHGATEWAY_TOKEN" --data-binary');
    expect(
      code(target, 'delete')
        .split('\n')
        .filter((l) => l.startsWith('curl')),
    ).toHaveLength(3);
    for (const line of code(target, 'delete')
      .split('\n')
      .filter((l) => l.startsWith('curl'))) {
      expect(line).toContain('$PUSHGATEWAY_TOKEN');
    }
    expect(code(target, 'go')).toContain('BasicAuth("any", os.Getenv("PUSHGATEWAY_TOKEN"))');
    expect(code(target, 'python')).toContain('handler=token_auth');
    expect(code(target, 'node')).toContain('Authorization: `Bearer ${process.env.PUSHGATEWAY_TOKEN}`');
    expect(code(target, 'java')).toContain('.bearerToken(System.getenv("PUSHGATEWAY_TOKEN"))');
    expect(code(target, 'scrape')).toContain('credentials_file');
    expect(code(PLAIN, 'push-curl')).not.toContain('TOKEN');
  });

  it('uses https where the page was reached over https', () => {
    const target = { ...PLAIN, scheme: 'https' };
    expect(code(target, 'java')).toContain('.scheme(Scheme.HTTPS)');
    expect(code(target, 'scrape')).toContain('scheme: https');
  });
});
