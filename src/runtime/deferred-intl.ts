/**
 * Idle memory (issue 14): the first `Intl.DateTimeFormat` a process constructs maps about 5 MiB of
 * ICU's locale and time-zone data (part of the node binary) into resident memory, and it stays
 * there. `@nestjs/common` constructs one when it is loaded, for the timestamps of its console
 * logger, which this gateway replaces (`GatewayLogger`: ISO 8601 without ICU). So the module is
 * loaded through `withDeferredDateTimeFormat`, and its formatter is built only if it is ever used.
 */

type DateTimeFormatConstructor = typeof Intl.DateTimeFormat;

/**
 * Runs `load` with `Intl.DateTimeFormat` replaced by a stand-in whose instances construct the real
 * formatter (with the same arguments) on first use of any property; restores the real constructor
 * before returning or throwing. Only what `load` constructs is deferred.
 */
export function withDeferredDateTimeFormat<T>(load: () => T): T {
  const intl = Intl as { DateTimeFormat: DateTimeFormatConstructor };
  const real = intl.DateTimeFormat;
  function Deferred(...args: ConstructorParameters<DateTimeFormatConstructor>): Intl.DateTimeFormat {
    let formatter: Intl.DateTimeFormat | undefined;
    return new Proxy(Object.create(real.prototype) as Intl.DateTimeFormat, {
      get(_target, key) {
        formatter ??= new real(...args);
        const value: unknown = Reflect.get(formatter, key, formatter);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(formatter) : value;
      },
    });
  }
  intl.DateTimeFormat = Deferred as unknown as DateTimeFormatConstructor;
  try {
    return load();
  } finally {
    intl.DateTimeFormat = real;
  }
}
