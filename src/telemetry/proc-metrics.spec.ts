import { parseMaxAddressSpace, parseNetDevTotals } from 'src/telemetry/proc-metrics';

/** prometheus/procfs limits.go and net_dev.go formats; client_golang process_collector_procfsenabled.go. */
describe('parseMaxAddressSpace', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\nMax address space         ${soft}            unlimited            bytes\n`;
  it.each<[string, string, number | undefined]>([
    ['unlimited is 2^64-1', 'unlimited', 2 ** 64 - 1],
    ['a number', '8589934592', 8589934592],
  ])('%s', (_name, soft, expected) => {
    expect(parseMaxAddressSpace(limits(soft))).toBe(expected);
  });
  it('no such line', () => {
    expect(parseMaxAddressSpace('Limit Soft Hard\n')).toBeUndefined();
  });
});

describe('parseNetDevTotals', () => {
  it('sums every interface, receive column 1 and transmit column 9', () => {
    const text =
      'Inter-|   Receive                                                |  Transmit\n' +
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
      '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n' +
      '  eth0:    2500      20    0    0    0     0          0         0      700       7    0    0    0     0       0          0\n';
    expect(parseNetDevTotals(text)).toEqual({ receive: 3500, transmit: 1700 });
  });
  it('nothing parseable', () => {
    expect(parseNetDevTotals('')).toBeUndefined();
  });
});
