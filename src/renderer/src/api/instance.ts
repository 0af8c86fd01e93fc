import { createClient } from './client.js';

/** The page's one connection to its host. */
export const client = createClient();
