/**
 * Debian's nginx in front of the cluster's servers, configured by the repository's own
 * docs/scale-out/nginx.conf (what the README shows operators): its upstream `server` lines and its
 * `listen` line are replaced by the test's loopback addresses, every other setting is kept.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNginxProcess, type NginxProcess } from './nginx-process.js';

export const NGINX_CONF = fileURLToPath(new URL('../../../docs/scale-out/nginx.conf', import.meta.url));

/** The committed configuration with `ports` as the upstream servers and `listen` as nginx's port. */
export function renderBalancerConf(template: string, ports: number[], listen: number): string {
  const lines = template.split('\n');
  const servers = lines.filter((l) => /^\s*server\s+[\w.-]+:\d+\b/.test(l));
  const listens = lines.filter((l) => /^\s*listen\s+\d+;/.test(l));
  if (servers.length === 0 || listens.length !== 1) {
    throw new Error(
      `${NGINX_CONF}: expected upstream "server host:port ...;" lines and one "listen N;" line`,
    );
  }
  // The first server line's parameters (max_fails, fail_timeout) go to every test server.
  const first = servers[0]!;
  const [, indent, params] = /^(\s*)server\s+\S+?(\s[^;]*)?;/.exec(first) ?? [];
  const ours = ports.map((p) => `${indent ?? ''}server 127.0.0.1:${p}${params ?? ''};`).join('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line === first) out.push(ours);
    else if (servers.includes(line)) continue;
    else if (listens.includes(line)) out.push(line.replace(/listen\s+\d+;/, `listen 127.0.0.1:${listen};`));
    else out.push(line);
  }
  return out.join('\n');
}

/** nginx round-robin over `ports` on a free loopback port. */
export async function startLoadBalancer(ports: number[]): Promise<NginxProcess> {
  const template = readFileSync(NGINX_CONF, 'utf8');
  renderBalancerConf(template, ports, 80); // a template the harness cannot fill fails here, with its reason
  // The snippet is http-level: it goes inside the http block as /etc/nginx/conf.d files do.
  return startNginxProcess({ http: (_dir, port) => renderBalancerConf(template, ports, port) });
}
