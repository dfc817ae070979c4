import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// findBy*/waitFor wait for what the user would see; on a loaded machine 1 s (the default) is
// sometimes not enough for a render, so they wait up to 10 s (they return as soon as it shows).
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => cleanup());
