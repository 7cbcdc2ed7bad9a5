import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './fake-slack.js';

export interface FakeSocketMode {
  /** Delivers an Events API envelope as a Socket Mode `events_api` frame; resolves when the app acks it. */
  deliver(envelope: object, retryAttempt?: number): Promise<void>;
  /** Envelope ids the app acknowledged. */
  acks: string[];
  close(): Promise<void>;
}

/**
 * Slack's Socket Mode side on 127.0.0.1: apps.connections.open (on the fake Slack) hands out this
 * server's URL; on connect it sends `hello`, then frames in the documented shape
 * (`{envelope_id, payload, type: 'events_api', accepts_response_payload, retry_attempt, retry_reason}`).
 */
export async function startFakeSocketMode(slack: FakeSlack): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  slack.useSocketMode(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`);

  const acks: string[] = [];
  const waiting = new Map<string, () => void>();
  let connected: (socket: WebSocket) => void;
  let socket = new Promise<WebSocket>((resolve) => (connected = resolve));

  wss.on('connection', (ws) => {
    ws.send(
      JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A08CSVAN1YZ' } }),
    );
    ws.on('message', (data) => {
      const { envelope_id: id } = JSON.parse(String(data)) as { envelope_id?: string };
      if (!id) return;
      acks.push(id);
      waiting.get(id)?.();
    });
    ws.on('close', () => {
      socket = new Promise<WebSocket>((resolve) => (connected = resolve));
    });
    connected(ws);
  });

  return {
    acks,
    async deliver(envelope, retryAttempt = 0) {
      const ws = await socket;
      const id = randomUUID();
      const acked = new Promise<void>((resolve) => waiting.set(id, resolve));
      ws.send(
        JSON.stringify({
          envelope_id: id,
          payload: envelope,
          type: 'events_api',
          accepts_response_payload: false,
          retry_attempt: retryAttempt,
          retry_reason: retryAttempt ? 'timeout' : '',
        }),
      );
      await acked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
