import { Component, type ErrorInfo, type ReactNode } from 'react';
import { FailurePanel } from './FailurePanel';

interface State {
  error: unknown;
}

/**
 * The last line of defence: a rendering bug anywhere shows a readable panel with a way out instead of
 * a blank page. The error goes to the browser console for whoever debugs it; the user sees its message
 * only, never a stack.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('Charthouse console error', error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error !== null) return <FailurePanel error={this.state.error} />;
    return this.props.children;
  }
}
