import { parseConnectionUrl } from 'src/storage/connection-url';

describe('parseConnectionUrl', () => {
  it.each([
    ['one host, default attrs any', 'postgres://u:p@db:5433/app', ['postgres://u:p@db:5433/app'], false],
    ['one host without port', 'postgresql://u@db/app?sslmode=require', ['postgresql://u@db:5432/app?sslmode=require'], false],
    ['several hosts default to read-write', 'postgres://u@h1:5432,h2:5433/app', ['postgres://u@h1:5432/app', 'postgres://u@h2:5433/app'], true],
    [
      'target_session_attrs is removed from each URL, other parameters kept',
      'postgres://u@h1,h2:6000/app?target_session_attrs=any&application_name=x',
      ['postgres://u@h1:5432/app?application_name=x', 'postgres://u@h2:6000/app?application_name=x'],
      false,
    ],
    ['primary means writable', 'postgres://u@h1/app?target_session_attrs=primary', ['postgres://u@h1:5432/app'], true],
    ['IPv6 literal', 'postgres://u@[::1]:5432,[fe80::2]/app', ['postgres://u@[::1]:5432/app', 'postgres://u@[fe80::2]:5432/app'], true],
  ])('%s', (_name, url, urls, writable) => {
    const target = parseConnectionUrl(url);
    expect(target.urls).toEqual(urls);
    expect(target.requireWritable).toBe(writable);
  });

  it.each([
    ['not postgres', 'mysql://u@h/db', /expected postgres:\/\//],
    ['bad port', 'postgres://u@h:99999/db', /bad port/],
    ['empty host in list', 'postgres://u@h1,,h2/db', /bad host ""/],
    ['unsupported attrs', 'postgres://u@h1,h2/db?target_session_attrs=standby', /expected read-write, primary or any/],
  ])('rejects %s', (_name, url, message) => {
    expect(() => parseConnectionUrl(url)).toThrow(message);
  });
});
