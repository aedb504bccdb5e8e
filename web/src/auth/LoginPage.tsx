import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiClient } from '../../../src/client/api-client.js';
import { usePageTitle } from '../app/page-title';
import { safeNext } from '../app/safe-next';
import { useSession } from '../app/session';
import { Button } from '../ui/Button';
import { describeError } from '../ui/describe-error';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';

export function LoginPage() {
  usePageTitle('Sign in');
  const { session, signIn, signedOutReason } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);

  const login = useMutation({
    // A fresh anonymous client: whatever token this browser held is not sent with a sign-in.
    mutationFn: (body: { username: string; password: string }) =>
      new ApiClient({ baseUrl: window.location.origin }).login(body.username, body.password),
    onSuccess: (created) => {
      signIn(created);
      void navigate(next, { replace: true });
    },
    onError: () => {
      setPassword('');
      // Move focus to the message so keyboard and screen-reader users hear what went wrong.
      queueMicrotask(() => errorRef.current?.focus());
    },
  });

  if (session && !login.isPending) return <Navigate to={next} replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (login.isPending) return;
    if (!username.trim() || !password) {
      setMissing(true);
      return;
    }
    setMissing(false);
    login.mutate({ username: username.trim(), password });
  };

  return (
    <div className="login-screen">
      <main className="login-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Charthouse
        </div>
        <h1>Sign in</h1>
        {signedOutReason === 'expired' && !login.isError && (
          <Notice tone="info">Your session has ended. Sign in again to continue.</Notice>
        )}
        {login.isError && (
          <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
            <div className="alert-body">
              <strong>Could not sign in</strong>
              <p>{describeError(login.error)}</p>
            </div>
          </div>
        )}
        {missing && (
          <div className="alert alert-error" role="alert">
            <div className="alert-body">Enter your username and password.</div>
          </div>
        )}
        <form onSubmit={onSubmit} noValidate>
          <Field label="Username">
            {(control) => (
              <input
                {...control}
                name="username"
                autoComplete="username"
                value={username}
                onChange={(e) => setUsername(e.currentTarget.value)}
                autoFocus
              />
            )}
          </Field>
          <Field label="Password">
            {(control) => (
              <input
                {...control}
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={login.isPending} className="btn-block">
            Sign in
          </Button>
        </form>
      </main>
    </div>
  );
}
