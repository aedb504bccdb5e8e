export interface ListOptions {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** How the capability clients (cluster-api.ts, profile-api.ts) reach the server: ApiClient's own request methods. */
export interface Transport {
  call<T>(
    method: string,
    path: string,
    opts?: { body?: unknown; query?: Record<string, string | number | undefined> },
  ): Promise<T>;
  send(
    method: string,
    path: string,
    opts?: { body?: unknown; accept?: string; headers?: Record<string, string>; allowNotModified?: boolean },
  ): Promise<{ res: Response; bytes: Uint8Array }>;
  /** The client's error for a request it refuses to send. */
  fail(code: string, message: string): Error;
}

/** ApiClient's pager: every page of a list, following cursors. */
export type Collect = <T>(page: (cursor: string | undefined) => Promise<Page<T>>) => Promise<T[]>;
