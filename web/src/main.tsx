import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App, preloadRoute } from './App';
import { SharePage, shareTokenFromPath } from './gallery/SharePage';
import { registerServiceWorker } from './lib/sw';

// A share link (/s/{token}) is a public page: no session is asked for or used.
const shareToken = shareTokenFromPath(window.location.pathname);
// The tab in the address bar starts loading now, while the session is being checked.
if (!shareToken) preloadRoute(window.location.pathname, window.location.hash);

createRoot(document.getElementById('root')!).render(<StrictMode>{shareToken ? <SharePage token={shareToken} /> : <App />}</StrictMode>);

registerServiceWorker();
