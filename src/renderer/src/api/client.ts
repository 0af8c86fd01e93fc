import { httpClient } from './http.js';
import type { Client } from './types.js';

declare global {
  interface Window {
    memlens?: Client;
  }
}

/** The desktop preload's object when present, else the HTTP transport of `memlens serve`. */
export function createClient(): Client {
  if (window.memlens) return window.memlens;
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  return httpClient({
    origin: window.location.origin,
    token,
    fetch: window.fetch.bind(window),
    WebSocket: window.WebSocket,
  });
}
