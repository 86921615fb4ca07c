/** One host of a connection URL. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * A `postgres://` URL with libpq's multi-host form (`postgres://u@h1:5432,h2:5433/db`), split into
 * one single-host URL per host. `target_session_attrs` (libpq's name) selects which host the
 * gateway uses: `read-write`/`primary` the first writable one, `any` the first that answers. With
 * several hosts the default is `read-write` (the gateway writes on every push); with one, `any`.
 */
export interface ConnectionTarget {
  hosts: HostPort[];
  /** Single-host URLs, parallel to `hosts`, without `target_session_attrs`. */
  urls: string[];
  requireWritable: boolean;
}

const URL_SHAPE = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)([^?#]*)(\?[^#]*)?$/;
const WRITABLE = new Set(['read-write', 'primary']);

/** Parses a connection URL; throws Error with a one-line reason when it is not one. */
export function parseConnectionUrl(url: string): ConnectionTarget {
  const m = URL_SHAPE.exec(url);
  if (m === null) {
    throw new Error('expected postgres://[user[:password]@]host[:port][,host[:port]...]/database[?parameters]');
  }
  const [, scheme, userinfo = '', hostList, pathPart, query = ''] = m;
  const hosts = hostList === '' ? [{ host: 'localhost', port: 5432 }] : hostList.split(',').map(parseHostPort);
  const params = new URLSearchParams(query.slice(1));
  const attrs = params.get('target_session_attrs') ?? (hosts.length > 1 ? 'read-write' : 'any');
  if (attrs !== 'any' && !WRITABLE.has(attrs)) {
    throw new Error(`target_session_attrs=${attrs}: expected read-write, primary or any (the gateway writes)`);
  }
  params.delete('target_session_attrs');
  const rest = params.toString();
  const urls = hosts.map((h) => `${scheme}${userinfo}${formatHost(h)}${pathPart}${rest === '' ? '' : `?${rest}`}`);
  return { hosts, urls, requireWritable: WRITABLE.has(attrs) };
}

function parseHostPort(part: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(part);
  if (m === null) {
    throw new Error(`bad host ${JSON.stringify(part)}: expected host or host:port`);
  }
  const port = m[2] === undefined ? 5432 : Number(m[2]);
  if (port < 1 || port > 65535) {
    throw new Error(`bad port in ${JSON.stringify(part)}`);
  }
  return { host: m[1], port };
}

function formatHost(h: HostPort): string {
  return `${h.host}:${h.port}`;
}
