import { encodeOpenMetricsFamily, OPENMETRICS_EOF } from 'src/core/exposition/openmetrics-encoder';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';

/**
 * An OpenMetrics scrape (SCRAPE_OPENMETRICS) from the protobuf scrape of the same moment
 * (renderProtobuf: families merged, sorted and escaped already), so both agree by construction.
 * Decoding that scrape again costs time the default formats do not spend; the setting is off by
 * default.
 */
export function renderOpenMetricsFromProtobuf(protobufScrape: Uint8Array): Buffer {
  const families = parseProtobufDelimited(protobufScrape);
  return Buffer.from(families.map(encodeOpenMetricsFamily).join('') + OPENMETRICS_EOF, 'utf8');
}
