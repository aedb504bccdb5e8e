import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router/dom';
import { ErrorBoundary } from './app/ErrorBoundary';
import { createQueryClient } from './app/query-client';
import { createRouter } from './app/router';
import { SessionProvider } from './app/session';
import './styles/base.css';
import './styles/layout.css';
import './styles/buttons.css';
import './styles/forms.css';
import './styles/feedback.css';
import './styles/tables.css';
import './styles/registry-table.css';
import './styles/dialog.css';
import './styles/catalog.css';
import './styles/hosted.css';
import './styles/account.css';
import './styles/profiles.css';
import './styles/clusters.css';

const queryClient = createQueryClient();
const router = createRouter();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <ErrorBoundary>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </ErrorBoundary>
  </StrictMode>,
);
