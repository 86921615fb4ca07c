import { FastifyRequest } from 'fastify';
import { Principal } from 'src/core/auth/principal';
import { checkGroupingLabels, checkPushedSeries, Decision } from 'src/core/auth/rules';
import { TENANT_LABEL } from 'src/core/grouping/grouping-key';
import { parseGroupingPath } from 'src/core/grouping/grouping-path';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { parseText } from 'src/core/exposition/text-parser';
import { isProtobufPush } from 'src/core/scrape/negotiation';
import { decodeBody } from 'src/http/body-decoding';
import { pushPathOf } from 'src/http/request-path';

const ALLOW: Decision = { allowed: true };
const LABEL_BYTES = Buffer.from(TENANT_LABEL, 'utf8');

/**
 * For a tenant token's PUT/POST/DELETE: refuses a `tenant_userid` of another tenant in the grouping
 * key or (PUT/POST) on a pushed series. The body is parsed only when its decoded bytes mention the
 * label at all (label names appear verbatim in text and protobuf), so ordinary pushes pay a byte
 * search. Unparsable paths or bodies pass: the ingest service reports them as 400 right after.
 */
export function checkPushTenant(req: FastifyRequest, principal: Principal, bodyLimit: number): Decision {
  const { path, managedRoute } = pushPathOf(req);
  try {
    const grouping = checkGroupingLabels(principal, parseGroupingPath(path, { allowMissingJob: managedRoute }));
    if (!grouping.allowed) {
      return grouping;
    }
  } catch {
    return ALLOW;
  }
  if (req.method === 'DELETE' || !Buffer.isBuffer(req.body) || req.body.length === 0) {
    return ALLOW;
  }
  try {
    const body = decodeBody(req.body, req.headers['content-encoding'], bodyLimit);
    if (!body.includes(LABEL_BYTES)) {
      return ALLOW;
    }
    const families = isProtobufPush(req.headers['content-type']) ? parseProtobufDelimited(body) : parseText(body.toString('utf8'));
    return checkPushedSeries(principal, families);
  } catch {
    return ALLOW;
  }
}
