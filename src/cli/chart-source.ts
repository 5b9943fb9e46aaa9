// Chart.js's UMD build as text, for the HTML report. When running from source this returns
// undefined and the report looks Chart.js up in node_modules (findChartSource); the published
// build (tsup.config.ts) replaces this module with one that holds the script, so the `rulelm`
// command draws its charts without Chart.js installed.

/**
 * Returns the Chart.js script bundled into the published command, if any.
 *
 * @returns The script's source, or `undefined` when running from source.
 */
export function bundledChartSource(): string | undefined {
  return undefined;
}
