import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { decodePacket, encodeMessage, type DecodedMessage } from '../../src/control/osc/codec.js';
import { OscFeedback } from '../../src/control/osc/feedback.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import type { OscArg } from '../../src/control/space/values.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

/** Polls until cond() is true, failing after timeoutMs with the label. */
export async function waitFor(cond: () => boolean, label: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await sleep(5);
  }
}

/** A real UDP peer on 127.0.0.1 that sends OSC and collects what comes back. */
export class UdpPeer {
  readonly received: DecodedMessage[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      try {
        this.received.push(...decodePacket(data));
      } catch {
        this.received.push({ address: '(undecodable)', args: [] });
      }
    });
  }

  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket);
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  sendRaw(data: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  send(port: number, address: string, ...args: OscArg[]): Promise<void> {
    return this.sendRaw(encodeMessage(address, args), port);
  }

  async next(address: string, timeoutMs = 10_000): Promise<DecodedMessage> {
    let found: DecodedMessage | undefined;
    await waitFor(() => (found = this.received.find((m) => m.address === address)) !== undefined, `OSC ${address}`, timeoutMs);
    this.received.splice(this.received.indexOf(found!), 1);
    return found!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** An OSC server on 127.0.0.1 over a StreamDiffusion store (a fresh one unless given), with feedback (no targets, no heartbeat). */
export async function oscServer(log: Logger, replyToSender: boolean, store: ControlStore = new ParameterStore(StreamDiffusionParams)) {
  const server = new OscServer({ store, space: new AddressSpace(StreamDiffusionParams), log, port: 0, host: '127.0.0.1' });
  await server.listen();
  const feedback = new OscFeedback({ server, store, targets: [], replyToSender, heartbeatMs: 0 }).start();
  const close = async () => {
    feedback.stop();
    await server.close();
  };
  return { store, server, close };
}

/** oscServer and a UDP peer to talk to it, closed together. */
export async function oscServerAndPeer(log: Logger, replyToSender: boolean, store?: ControlStore) {
  const osc = await oscServer(log, replyToSender, store);
  const peer = await UdpPeer.open();
  const close = async () => {
    await osc.close();
    await peer.close();
  };
  return { ...osc, peer, close };
}

/** The real app on the passthrough pipeline (256x256, no MIDI), OSC on 127.0.0.1 answering the sender, and a UDP peer. */
export async function startOscApp() {
  const app = await startApp(resolveConfig({
    pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false, reply_to_sender: true },
  }), silentLogger);
  const peer = await UdpPeer.open();
  const close = async () => {
    await app.stop();
    await peer.close();
  };
  return { app, peer, port: controlSurfaceOf(app)!.osc.port, close };
}

/** The real app on the passthrough pipeline, its OSC heartbeat every 50 ms to 127.0.0.1:port. */
export function startHeartbeatApp(port: number): Promise<RunningApp> {
  return startApp(resolveConfig({
    pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false, heartbeat_ms: 50, feedback: [{ host: '127.0.0.1', port }] },
  }), silentLogger);
}
