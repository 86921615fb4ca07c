/** A hook main.ts sets so `/-/quit` can close the application gracefully. */
export const LIFECYCLE = {
  requestShutdown: (): void => {
    process.kill(process.pid, 'SIGTERM');
  },
};
