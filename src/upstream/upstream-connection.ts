import type { ParsedEndpoint } from '../protocol/registry-endpoint.js';

/**
 * How to reach one upstream registry: what every request for it needs, whether it validates the
 * registry (registry-probe.ts), syncs it (a classic index or OCI tags) or reads a chart archive. Built
 * from a registry row in one place, registries/registry.connection.ts, so all of them apply the same
 * endpoint, credential and TLS rules.
 */
export interface UpstreamConnection {
  /** Where, and how: an OCI registry over plain HTTP (Helm's --plain-http) has an http:// base URL. */
  endpoint: ParsedEndpoint;
  credentials?: UpstreamCredentials;
  /** Send the credentials to other origins too (Helm's --pass-credentials); off by default. */
  passCredentials: boolean;
  tls: UpstreamTls;
  /** OCI only: the chart repositories to read, relative to the endpoint's path (a full path is accepted too); empty for all. */
  ociRepositories: string[];
}

/** Basic credentials for a registry, in clear text: held only for the duration of one call. */
export interface UpstreamCredentials {
  username: string;
  password: string;
}

export interface UpstreamTls {
  /** PEM bundle that REPLACES the system roots for this registry (Helm's --ca-file). */
  caCert?: string;
  insecureSkipVerify: boolean;
  /** PEM client certificate and key (a kubeconfig's client-certificate-data); registries use none. */
  clientCert?: string;
  clientKey?: string;
}
