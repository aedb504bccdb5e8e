import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPlan } from '../client/api-client.js';

/** The last plan the agent received, with its ETag. */
export interface StoredPlan {
  plan: AgentPlan;
  etag: string;
}

/**
 * The agent keeps its last plan on disk (`<workDir>/plan.json`), so a restart while the server is away
 * still knows what the cluster should run, and the next poll can be a 304. The plan may hold a protected
 * registry's credentials and sensitive values: the file is 0600 in a 0700 folder, written atomically.
 */
export class PlanStore {
  constructor(private readonly workDir: string) {}

  private get file(): string {
    return join(this.workDir, 'plan.json');
  }

  async load(): Promise<StoredPlan | null> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<StoredPlan>;
      if (typeof parsed.etag !== 'string' || typeof parsed.plan !== 'object' || parsed.plan === null)
        return null;
      return { plan: parsed.plan, etag: parsed.etag };
    } catch {
      // Missing or unreadable: the agent simply asks the server for the whole plan.
      return null;
    }
  }

  async save(stored: StoredPlan): Promise<void> {
    await mkdir(this.workDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(stored), { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, this.file);
  }
}
