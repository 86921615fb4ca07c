/** Scrape lines that belong to pushed data (drops the gateway's own families and comments). */
export function pushedLines(body: string): string[] {
  return body.split('\n').filter((l) => l !== '' && !/^(# (HELP|TYPE) )?(process_|nodejs_|pushgateway_)/.test(l));
}
