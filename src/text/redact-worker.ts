/**
 * Worker thread entry: redacts one output file's bytes and posts them back. Runs only under redact-file.ts, which
 * bounds its time and memory, so a large text output never holds the bot's event loop (and its acks).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { redactTextBytes } from './redact-bytes.js';

const port = parentPort;
if (!port) throw new Error('src/text/redact-worker.ts runs only as a worker thread');
const input = Buffer.from(workerData as Uint8Array);
const output = redactTextBytes(input);
port.postMessage(output === input ? null : output);
