/** Basic credentials for a registry, in clear text: held only for the duration of one call. */
export interface UpstreamCredentials {
  username: string;
  password: string;
}

export interface UpstreamTls {
  /** PEM bundle that REPLACES the system roots for this registry (Helm's --ca-file). */
  caCert?: string;
  insecureSkipVerify: boolean;
}
