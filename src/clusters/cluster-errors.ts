import { AppError, AuthenticationError, type ErrorDetail } from '../shared/errors.js';

const summary = (problems: readonly ErrorDetail[], fallback: string): string => {
  const first = problems[0]?.message ?? fallback;
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in details)`
      : '';
  return `${first}${more}`;
};

/** 422: a cluster's kubeconfig or assignments break the rules; every problem is in `details`, each naming its field. */
export class ClusterInvalidError extends AppError {
  readonly status = 422;
  constructor(problems: ErrorDetail[]) {
    super('cluster_invalid', summary(problems, 'The cluster is not valid.'), problems);
  }
}

/** 422: an agent's report names layers its plan does not have, or a plan revision that never was. */
export class ReportInvalidError extends AppError {
  readonly status = 422;
  constructor(problems: ErrorDetail[]) {
    super('report_invalid', summary(problems, 'The report does not match the plan.'), problems);
  }
}

/** 401 for any agent token that names no cluster: rotated, deleted, or never issued. */
export function agentTokenRefused(): AuthenticationError {
  return new AuthenticationError(
    'The agent token is not valid: it was rotated, or its cluster was deleted. Get a new token from the cluster (POST .../clusters/<name>/agent-token) and restart the agent with it.',
    'invalid_agent_token',
  );
}
