import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App, preloadRoute } from './App';

// The tab in the address bar starts loading now, while the session is being checked.
preloadRoute(window.location.pathname, window.location.hash);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
