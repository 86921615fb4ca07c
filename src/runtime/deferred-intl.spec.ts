import { withDeferredDateTimeFormat } from 'src/runtime/deferred-intl';

describe('withDeferredDateTimeFormat', () => {
  const intl = Intl as { DateTimeFormat: typeof Intl.DateTimeFormat };
  const original = intl.DateTimeFormat;
  let constructed: number;

  beforeEach(() => {
    constructed = 0;
    // A real formatter that counts its constructions, standing in for the engine's constructor.
    intl.DateTimeFormat = class extends original {
      constructor(...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
        super(...args);
        constructed++;
      }
    } as typeof Intl.DateTimeFormat;
  });

  afterEach(() => {
    intl.DateTimeFormat = original;
  });

  it('builds what load constructs only on first use, with its arguments', () => {
    const options: Intl.DateTimeFormatOptions = { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' };
    const formatter = withDeferredDateTimeFormat(() => new Intl.DateTimeFormat('en-US', options));
    expect(constructed).toBe(0);
    const at = Date.UTC(2026, 11, 4, 4, 40, 12);
    expect(formatter.format(at)).toBe(new original('en-US', options).format(at));
    expect(formatter.resolvedOptions().timeZone).toBe('UTC');
    expect(constructed).toBe(1);
  });

  it('restores the constructor after load, and after load throws', () => {
    const counting = intl.DateTimeFormat;
    expect(withDeferredDateTimeFormat(() => Intl.DateTimeFormat === counting)).toBe(false);
    expect(intl.DateTimeFormat).toBe(counting);
    expect(() =>
      withDeferredDateTimeFormat(() => {
        throw new Error('load failed');
      }),
    ).toThrow('load failed');
    expect(intl.DateTimeFormat).toBe(counting);
    new Intl.DateTimeFormat('en-US');
    expect(constructed).toBe(1);
  });
});
