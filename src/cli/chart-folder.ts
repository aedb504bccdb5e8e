import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CHART_ARCHIVE_LIMITS, type ChartArchiveLimits } from '../protocol/helm/chart-archive.js';
import {
  ChartPackTally,
  invalidChartFolder,
  isIgnored,
  packChart,
  parseHelmignore,
  pathProblem,
  type ChartPackFile,
  type IgnoreRule,
  type PackagedChart,
} from '../protocol/helm/chart-package.js';

/*
 * Reads a chart folder for packChart (protocol/helm/chart-package.ts), which packs it like
 * `helm package`, reproducibly. The folder rules live here; the packing and .helmignore rules there.
 *
 * Decisions:
 * - What .helmignore excludes is never read. Chart.yaml cannot be excluded.
 * - Symbolic links are refused unless ignored (Helm follows them; a link out of the folder would pack
 *   files the author never meant to publish, and our archive reader refuses links anyway). So are
 *   sockets, FIFOs and devices, and names with a backslash (our reader refuses them).
 * - The limits are counted from the sizes the walk sees, so a folder too large fails before anything
 *   is read, and again while reading (a file may grow in between), so reading stops at the limit.
 */

/** Packages the chart folder `dir` like `helm package`, reproducibly: packChart on its files. */
export async function packageChartFolder(
  dir: string,
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<PackagedChart> {
  return packChart(await readChartFolder(dir, limits), limits);
}

/** The files of the chart folder `dir` that .helmignore keeps, paths "/"-separated from `dir`. */
async function readChartFolder(
  dir: string,
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<ChartPackFile[]> {
  const chartYamlInfo = await lstat(join(dir, 'Chart.yaml')).catch(() => null);
  if (chartYamlInfo === null || !chartYamlInfo.isFile()) {
    throw invalidChartFolder(`${JSON.stringify(dir)} has no Chart.yaml file; is it a chart folder?`);
  }

  const ignoreInfo = await lstat(join(dir, '.helmignore')).catch(() => null);
  let ignoreText = '';
  if (ignoreInfo !== null) {
    if (!ignoreInfo.isFile()) throw invalidChartFolder('.helmignore is not a regular file.');
    ignoreText = await readFile(join(dir, '.helmignore'), 'utf8');
  }
  const rules = parseHelmignore(ignoreText);
  if (isIgnored(rules, 'Chart.yaml', false)) {
    throw invalidChartFolder('.helmignore excludes Chart.yaml; a chart cannot be packaged without it.');
  }

  const paths = await walk(dir, rules, limits);
  // The files may have changed since the walk: count again what is actually read.
  const tally = new ChartPackTally(limits);
  const files: ChartPackFile[] = [];
  for (const path of paths) {
    const content = await readFile(join(dir, path));
    tally.add(path, content.length);
    files.push({ path, content });
  }
  return files;
}

/** Every file to pack, by its path relative to the chart folder ("/"-separated). */
async function walk(
  root: string,
  rules: readonly IgnoreRule[],
  limits: Readonly<ChartArchiveLimits>,
): Promise<string[]> {
  const found: string[] = [];
  const tally = new ChartPackTally(limits);
  const visit = async (relDir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(join(root, relDir), { withFileTypes: true });
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const entry of entries) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      const abs = join(root, rel);
      if (entry.isSymbolicLink()) {
        // Whether Helm would see a folder decides "folder only" rules.
        const target = await stat(abs).catch(() => null);
        if (isIgnored(rules, rel, target?.isDirectory() ?? false)) continue;
        throw invalidChartFolder(
          `${JSON.stringify(rel)} is a symbolic link; replace it with the file or folder itself, or list it in .helmignore.`,
        );
      }
      const isDir = entry.isDirectory();
      if (isIgnored(rules, rel, isDir)) continue;
      // A backslash or a folder too deep: the same words packChart would use, before reading anything.
      const problem = pathProblem(rel, limits);
      if (problem !== null) throw invalidChartFolder(`${JSON.stringify(rel)} ${problem}`);
      if (isDir) {
        await visit(rel);
        continue;
      }
      if (!entry.isFile()) {
        throw invalidChartFolder(
          `${JSON.stringify(rel)} is not a regular file (a socket, FIFO or device); remove it or list it in .helmignore.`,
        );
      }
      tally.add(rel, (await lstat(abs)).size);
      found.push(rel);
    }
  };
  await visit('');
  return found;
}
