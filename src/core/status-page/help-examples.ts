/**
 * The help tab's examples, written with the URLs of the gateway serving the page, so they can be
 * copied as they are.
 */

export interface HelpTarget {
  /** `http` or `https`, as the request reached this gateway. */
  scheme: string;
  /** `host:port` as the client addressed it (the Host header). */
  host: string;
  /** Normalised route prefix ('' or `/something`). */
  routePrefix: string;
  /** Token auth is on: the examples send `$PUSHGATEWAY_TOKEN`. */
  authEnabled: boolean;
}

export interface HelpExample {
  /** Anchor id (stable, for links into the tab). */
  id: string;
  title: string;
  /** One paragraph of plain text before the code. */
  text: string;
  code: string;
}

/** The gateway's base URL as a client should write it: scheme, host and route prefix, no trailing slash. */
export function baseUrlOf(target: HelpTarget): string {
  return `${target.scheme}://${target.host}${target.routePrefix}`;
}

/** The examples, in the order the tab shows them. */
export function helpExamples(target: HelpTarget): HelpExample[] {
  const base = baseUrlOf(target);
  const auth = target.authEnabled ? ' -H "Authorization: Bearer $PUSHGATEWAY_TOKEN"' : '';
  const slashValue = '/var/backups';
  const b64 = Buffer.from(slashValue, 'utf8').toString('base64url');
  const examples: HelpExample[] = [];
  if (target.authEnabled) {
    examples.push({
      id: 'auth',
      title: 'Tokens',
      text:
        'This gateway checks tokens. Send one as a Bearer token, or as the password of HTTP basic auth with any user name ' +
        '(what most client libraries offer). Pushing needs the push scope, reading the read scope; a tenant token only ' +
        'sees and changes its own groups. The examples below read the token from $PUSHGATEWAY_TOKEN.',
      code: `export PUSHGATEWAY_TOKEN=...   # issued with: npm run token, or POST ${target.routePrefix}/api/v1/admin/tokens\ncurl -u "any:$PUSHGATEWAY_TOKEN" ${base}/api/v1/status`,
    });
  }
  examples.push(
    {
      id: 'push-curl',
      title: 'Push with curl',
      text:
        'The URL names the group: job, then any further label/value pairs. POST (curl --data-binary) replaces the pushed ' +
        'metric families of the group, PUT replaces the whole group. The body is the Prometheus text format; a # TYPE line ' +
        'makes the metric a counter or gauge instead of untyped.',
      code:
        `cat <<'EOF' | curl${auth} --data-binary @- ${base}/metrics/job/backup/instance/db1\n` +
        `# TYPE backup_last_success_timestamp_seconds gauge\n` +
        `# HELP backup_last_success_timestamp_seconds When the last backup finished.\n` +
        `backup_last_success_timestamp_seconds $(date +%s)\n` +
        `backup_size_bytes{volume="data"} 2.7e9\n` +
        `EOF\n\n` +
        `curl${auth} -X PUT --data-binary @metrics.txt ${base}/metrics/job/backup/instance/db1`,
    },
    {
      id: 'base64',
      title: 'Values with a slash, or empty ones',
      text:
        'A grouping value that contains "/" (or is empty) cannot be a path segment: write the label name with @base64 and ' +
        'the value in URL-safe base64 ("=" alone for the empty value).',
      code:
        `# ${slashValue} in URL-safe base64 is ${b64}\n` +
        `printf %s '${slashValue}' | base64 | tr '+/' '-_' | tr -d '='\n` +
        `curl${auth} --data-binary @metrics.txt ${base}/metrics/job/backup/path@base64/${b64}`,
    },
    {
      id: 'delete',
      title: 'Delete groups',
      text:
        "DELETE on a group's URL removes exactly that group. The group API lists and deletes many groups at once by " +
        'selectors over grouping labels (match[], repeatable) and push times (pushed_before, pushed_after).',
      code:
        `curl${auth} -X DELETE ${base}/metrics/job/backup/instance/db1\n\n` +
        `curl${auth} -G --data-urlencode 'match[]={job="backup"}' ${base}/api/v1/groups\n` +
        `curl${auth} -X DELETE -G --data-urlencode 'match[]={job="backup",instance=~"db.*"}' ${base}/api/v1/groups`,
    },
    {
      id: 'go',
      title: 'Go (client_golang)',
      text: 'prometheus/client_golang/prometheus/push: Push() sends PUT, Add() sends POST.',
      code:
        `completed := prometheus.NewGauge(prometheus.GaugeOpts{\n` +
        `\tName: "backup_last_success_timestamp_seconds",\n` +
        `\tHelp: "When the last backup finished.",\n` +
        `})\n` +
        `completed.SetToCurrentTime()\n` +
        `err := push.New("${base}", "backup").\n` +
        `\tCollector(completed).\n` +
        `\tGrouping("instance", "db1").\n` +
        (target.authEnabled ? `\tBasicAuth("any", os.Getenv("PUSHGATEWAY_TOKEN")).\n` : '') +
        `\tPush()`,
    },
    {
      id: 'python',
      title: 'Python (prometheus_client)',
      text: 'push_to_gateway sends PUT, pushadd_to_gateway POST, delete_from_gateway DELETE.',
      code:
        `from prometheus_client import CollectorRegistry, Gauge, push_to_gateway\n` +
        (target.authEnabled ? `from prometheus_client.exposition import basic_auth_handler\nimport os\n` : '') +
        `\n` +
        `registry = CollectorRegistry()\n` +
        `g = Gauge('backup_last_success_timestamp_seconds', 'When the last backup finished.', registry=registry)\n` +
        `g.set_to_current_time()\n` +
        (target.authEnabled
          ? `\ndef token_auth(url, method, timeout, headers, data):\n` +
            `    return basic_auth_handler(url, method, timeout, headers, data, 'any', os.environ['PUSHGATEWAY_TOKEN'])\n\n` +
            `push_to_gateway('${base}', job='backup', grouping_key={'instance': 'db1'}, registry=registry, handler=token_auth)`
          : `push_to_gateway('${base}', job='backup', grouping_key={'instance': 'db1'}, registry=registry)`),
    },
    {
      id: 'node',
      title: 'Node.js (prom-client)',
      text: 'push() sends PUT, pushAdd() POST, delete() DELETE.',
      code:
        `const client = require('prom-client');\n` +
        `const registry = new client.Registry();\n` +
        `const done = new client.Gauge({ name: 'backup_last_success_timestamp_seconds', help: 'When the last backup finished.', registers: [registry] });\n` +
        `done.setToCurrentTime();\n` +
        `const gateway = new client.Pushgateway('${base}', ${
          target.authEnabled ? `{ headers: { Authorization: \`Bearer \${process.env.PUSHGATEWAY_TOKEN}\` } }` : '{}'
        }, registry);\n` +
        `await gateway.push({ jobName: 'backup', groupings: { instance: 'db1' } });`,
    },
    {
      id: 'java',
      title: 'Java (prometheus-metrics-exporter-pushgateway)',
      text:
        'The builder takes host:port and a scheme' +
        (target.routePrefix === '' ? '.' : `; it has no setting for a path, so it may not reach this gateway under ${target.routePrefix}.`),
      code:
        `PushGateway pg = PushGateway.builder()\n` +
        `    .address("${target.host}")\n` +
        (target.scheme === 'https' ? `    .scheme(Scheme.HTTPS)\n` : '') +
        `    .job("backup")\n` +
        `    .groupingKey("instance", "db1")\n` +
        (target.authEnabled ? `    .bearerToken(System.getenv("PUSHGATEWAY_TOKEN"))\n` : '') +
        `    .build();\n` +
        `pg.push();`,
    },
    {
      id: 'scrape',
      title: 'Scrape it with Prometheus',
      text:
        "honor_labels keeps the pushed job and instance labels instead of replacing them with the scrape target's. Every " +
        'replica serves every group, so one target behind a load balancer is enough.',
      code:
        `scrape_configs:\n` +
        `  - job_name: pushgateway\n` +
        `    honor_labels: true\n` +
        (target.scheme === 'https' ? `    scheme: https\n` : '') +
        (target.routePrefix === '' ? '' : `    metrics_path: ${target.routePrefix}/metrics\n`) +
        (target.authEnabled ? `    authorization:\n      credentials_file: /etc/prometheus/pushgateway-token\n` : '') +
        `    static_configs:\n` +
        `      - targets: ['${target.host}']`,
    },
    {
      id: 'endpoints',
      title: 'Other endpoints',
      text: "The scrape, upstream's JSON API, the group API, probes, and a Prometheus-compatible query API (a Grafana data source can use the base URL).",
      code: [
        `${base}/metrics`,
        `${base}/api/v1/metrics`,
        `${base}/api/v1/status`,
        `${base}/api/v1/groups`,
        `${base}/api/v1/query?query=backup_size_bytes`,
        `${base}/-/healthy`,
        `${base}/-/ready`,
      ].join('\n'),
    },
  );
  return examples;
}
