import { compileSelection, GroupSelection, Page, PagedGroup, pageOf, parseGroupSelector } from 'src/core/grouping/group-selection';
import { StatusPageRequest } from 'src/core/status-page/page-request';

/** What the status page's filter looks at in a group. */
export interface FilterableGroup extends PagedGroup {
  families: readonly { name: string }[];
}

/**
 * The predicate of the filter box. Text starting with `{` is a selector over grouping labels, as
 * the group API's `match[]` (parseGroupSelector; throws GroupSelectorError when malformed). Any
 * other text is split at white space into words, and a group matches when every word occurs,
 * ignoring case, in one of: a grouping label written `name=value` or `name="value"`, its tenant,
 * or one of its metric names. `pushedBefore` (Unix seconds) adds the group API's bound, for
 * "only stale groups".
 */
export function compileStatusFilter(text: string, pushedBefore?: number): (group: FilterableGroup) => boolean {
  const trimmed = text.trim();
  const selection: GroupSelection = { selectors: trimmed.startsWith('{') ? [parseGroupSelector(trimmed)] : [], pushedBefore };
  const selected = compileSelection(selection);
  const words = trimmed.startsWith('{')
    ? []
    : trimmed
        .toLowerCase()
        .split(/\s+/)
        .filter((w) => w !== '');
  if (words.length === 0) {
    return selected;
  }
  return (group) => {
    if (!selected(group)) {
      return false;
    }
    const haystack = searchableTexts(group);
    return words.every((w) => haystack.some((h) => h.includes(w)));
  };
}

function searchableTexts(group: FilterableGroup): string[] {
  const texts: string[] = [];
  for (const [name, value] of Object.entries(group.labels)) {
    texts.push(`${name}=${value}`.toLowerCase(), `${name}="${value}"`.toLowerCase());
  }
  if (group.tenant !== '') {
    texts.push(group.tenant.toLowerCase());
  }
  for (const f of group.families) {
    texts.push(f.name.toLowerCase());
  }
  return texts;
}

/**
 * The page of `groups` the request asks for: filtered (compileStatusFilter, with only stale groups
 * when asked), ordered and cut at the cursor by the group API's pageOf, so at most `limit` groups
 * are ever handed to the renderer. `now` is Unix seconds. Throws GroupSelectorError for a bad
 * filter or a cursor of another order.
 */
export function statusPageGroups<G extends FilterableGroup>(groups: readonly G[], request: StatusPageRequest, now: number): Page<G> {
  const pushedBefore = request.staleOnly && request.staleMs !== undefined ? now - request.staleMs / 1000 : undefined;
  const predicate = compileStatusFilter(request.filter, pushedBefore);
  return pageOf(groups.filter(predicate), () => true, { limit: request.limit, cursor: request.cursor, order: request.order });
}
