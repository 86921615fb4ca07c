/** A malformed grouping path (`/metrics/job/<JOB>{/<LABEL>/<VALUE>}`). Maps to HTTP 400. */
export class GroupingPathError extends Error {}

/** The path does not name a push route at all (e.g. `/metrics/jobs/x`). Maps to HTTP 404. */
export class GroupingRouteNotFoundError extends Error {}
