import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6, type AddressInfo, type BlockList } from 'node:net';
import type { z } from 'zod';
import type { ChangeSource, ParameterStore } from '../../engine/parameter-store.js';
import { listenError } from '../../util/listen-error.js';
import { rateLimited, type Logger } from '../../log.js';
import type { ControlAddress } from '../space/address.js';
import { isQuery, patchFor, type AddressSpace } from '../space/address-space.js';
import { allowList, isAllowed } from './allow-list.js';
import type { QueryAnswerMode } from '../config.js';
import type { IgnorePatterns } from './ignore-patterns.js';
import { decodePacket, encodeMessage, type DecodedMessage } from './codec.js';
import { wallClock, type Clock } from '../../util/clock.js';
import { TimeTagQueue } from './time-tags.js';
import { ControlError, type ControlFailure, type OscArg } from '../space/values.js';

export type ControlStore = ParameterStore<z.ZodType>;

export interface OscPeer {
  address: string;
  port: number;
  /** Set for peers that are not UDP endpoints (an OSCQuery WebSocket): replies go through it. */
  reply?: (data: Uint8Array) => void;
}

export const peerKey = (p: OscPeer) => `${p.address}:${p.port}`;

/** Peers without repeats, first occurrence kept. */
export const distinctPeers = (peers: readonly OscPeer[]): OscPeer[] => [...new Map(peers.map((p) => [peerKey(p), p])).values()];

/** An exact OSC address handled outside the parameter space (learn, mapped host addresses, adapters). */
export type OscCommand = (args: OscArg[], from: OscPeer | undefined) => void;

/** May hold back a parameter message (quantised to the beat): returns true when it took `apply` to call later. */
export type MessageGate = (message: DecodedMessage, targets: readonly ControlAddress[], apply: () => void) => boolean;

export interface OscFailure {
  address: string;
  reason: ControlFailure;
  message: string;
  from?: OscPeer;
}

export interface OscStats {
  packets: number;
  messages: number;
  applied: number;
  queries: number;
  /** Messages dropped by a mapping file's `ignore` patterns (a host's own chatter). */
  ignored: number;
  failures: Record<ControlFailure, number>;
}

export interface OscServerOptions {
  store: ControlStore;
  space: AddressSpace;
  log: Logger;
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The config field `port` comes from, named in start-up errors (default `osc.port`). */
  portField?: string;
  /** Senders accepted (addresses and CIDRs, validated by OscConfig); others are dropped and counted as not_allowed. */
  allow?: readonly string[];
  /** Larger datagrams are dropped and counted as oversize. */
  maxPacketBytes?: number;
  /** Who the store records as the source of changes. */
  source?: ChangeSource;
  /** Name for log lines (a second listener, e.g. the StreamDiffusionTD adapter). */
  name?: string;
  /** Where "?" queries are answered (default the sender; an OSCQuery WebSocket sender is always answered on its socket). */
  answerQueries?: { to: QueryAnswerMode; feedback: readonly OscPeer[] };
  /** 'schedule' (default): a bundle tagged in the future is applied at that time; 'ignore': on arrival. */
  timeTags?: 'schedule' | 'ignore';
  /** The wall clock time tags are read against (tests pass a fake). */
  clock?: Clock;
}

const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

const emptyFailures = (): Record<ControlFailure, number> => ({ unknown_address: 0, bad_type: 0, out_of_range: 0, rejected: 0, malformed: 0, oversize: 0, not_allowed: 0 });

/**
 * The OSC UDP server: messages and bundles in, each message resolved against the address space (or an
 * exact command) and applied to the store. Nothing a sender does can throw out of here: a bad message is
 * counted, logged at a rate limit and reported as a 'failure' event (OscFeedback turns it into /sdlive/error).
 */
export class OscServer extends EventEmitter<{ failure: [OscFailure]; sender: [OscPeer]; message: [DecodedMessage] }> {
  readonly stats: OscStats = { packets: 0, messages: 0, applied: 0, queries: 0, ignored: 0, failures: emptyFailures() };
  lastSender: OscPeer | undefined;
  private readonly commands = new Map<string, OscCommand>();
  private readonly ignored = new Set<IgnorePatterns>();
  private readonly warn: ReturnType<typeof rateLimited>;
  private readonly allowed: BlockList | undefined;
  private socket: Socket | undefined;
  private gate: MessageGate | undefined;
  private readonly timed: TimeTagQueue;

  constructor(private readonly opts: OscServerOptions) {
    super();
    this.warn = rateLimited(opts.log);
    this.allowed = opts.allow && allowList(opts.allow);
    this.timed = new TimeTagQueue(opts.clock ?? wallClock, (e) => this.fail('(time-tagged bundle)', e));
  }

  /** Messages waiting for their bundle's time tag. */
  get timeTagged(): number {
    return this.timed.size;
  }

  /** Sets the gate parameter messages pass (one at a time); returns the function that removes it. */
  setGate(gate: MessageGate): () => void {
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
    };
  }

  get port(): number {
    return (this.socket?.address() as AddressInfo | undefined)?.port ?? this.opts.port;
  }

  /** The address and port the socket is bound to, once listening. */
  get bound(): AddressInfo | undefined {
    return this.socket?.address();
  }

  get space(): AddressSpace {
    return this.opts.space;
  }

  /** Handles one exact address before the parameter space is consulted; returns an unregister function. */
  command(address: string, handler: OscCommand): () => void {
    this.commands.set(address, handler);
    return () => this.commands.delete(address);
  }

  /** Drops addresses the patterns cover when nothing else takes them (no error reply); returns an unregister function. */
  ignore(patterns: IgnorePatterns): () => void {
    this.ignored.add(patterns);
    return () => this.ignored.delete(patterns);
  }

  async listen(): Promise<void> {
    const { port, host = '127.0.0.1', portField = 'osc.port' } = this.opts;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false, recvBufferSize: RECEIVE_BUFFER_BYTES });
    socket.on('message', (data, rinfo) => this.receive(data, rinfo));
    socket.on('error', (e) => this.warn('socket', `${this.name}: socket error`, { err: e.message }));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) => {
        socket.close();
        reject(listenError(e, { host, hostField: 'osc.host', port, portField, portHint: 'UDP: pick another port' }));
      });
      socket.bind(port, host, () => resolve());
    });
    this.socket = socket;
  }

  /** One datagram: senders off the allow-list are dropped before anything is decoded or answered. */
  private receive(data: Uint8Array, rinfo: RemoteInfo): void {
    if (this.allowed && !isAllowed(this.allowed, rinfo.address)) {
      this.stats.failures.not_allowed++;
      this.warn('not_allowed', `${this.name}: dropped a datagram from ${rinfo.address}, which is not on osc.allow`, { from: `${rinfo.address}:${rinfo.port}` });
      return;
    }
    this.handlePacket(data, { address: rinfo.address, port: rinfo.port });
  }

  private get name(): string {
    return this.opts.name ?? 'osc';
  }

  /** One packet from a peer (UDP or an OSCQuery WebSocket); never throws. */
  handlePacket(data: Uint8Array, from?: OscPeer): void {
    this.stats.packets++;
    let messages: DecodedMessage[];
    try {
      if (from && !from.reply) {
        this.lastSender = from;
        this.emit('sender', from);
      }
      if (data.byteLength > (this.opts.maxPacketBytes ?? 65507)) throw new ControlError('oversize', `packet of ${data.byteLength} bytes is over the limit`);
      messages = decodePacket(data);
    } catch (e) {
      return this.fail('(packet)', e, from);
    }
    const later = new Set(this.opts.timeTags === 'ignore' ? [] : messages.filter((m) => m.at !== undefined && this.timed.ahead(m.at) > 0));
    if (later.size > 0) {
      try {
        this.timed.check([...later].map((m) => m.at!));
      } catch (e) {
        return this.fail('(time-tagged bundle)', e, from);
      }
    }
    for (const m of messages) {
      if (later.has(m)) this.timed.add(m.at!, () => this.handleMessage(m, from));
      else this.handleMessage(m, from);
    }
  }

  handleMessage(message: DecodedMessage, from?: OscPeer): void {
    this.stats.messages++;
    try {
      this.emit('message', message);
      const command = this.commands.get(message.address);
      if (command) return command(message.args, from);
      const targets = this.opts.space.match(message.address);
      if (targets.length === 0 && this.isIgnored(message.address)) return void this.stats.ignored++;
      if (targets.length === 0) throw new ControlError('unknown_address', 'no such address (see GET / (OSCQuery) or `sdlive mappings list --addresses`)');
      if (isQuery(message.args)) return void this.answer(targets, message.address, from);
      const applyAll = () => {
        for (const target of targets) this.apply(target, message.args, from, message.address);
      };
      if (!this.gate?.(message, targets, applyAll)) applyAll();
    } catch (e) {
      this.fail(message.address, e, from);
    }
  }

  private isIgnored(address: string): boolean {
    for (const patterns of this.ignored) if (patterns.covers(address)) return true;
    return false;
  }

  /** Applies (or answers a "?" query for) one address; failures are reported, never thrown. */
  apply(target: ControlAddress, args: readonly OscArg[], from?: OscPeer, address = target.path): boolean {
    if (isQuery(args)) return this.answer([target], address, from);
    try {
      const result = this.opts.store.update(patchFor(target, this.opts.store.snapshot, args), this.opts.source ?? 'osc');
      if (!result.ok) throw new ControlError('rejected', result.error.message);
      this.stats.applied++;
      return true;
    } catch (e) {
      this.fail(address, e, from);
      return false;
    }
  }

  /** Answers a "?" query with the value of each address that has one (a pattern skips list entries that do not exist). */
  private answer(targets: readonly ControlAddress[], address: string, from?: OscPeer): boolean {
    this.stats.queries++;
    const snapshot = this.opts.store.snapshot;
    const answers = targets.map((t) => [t, t.read(snapshot)] as const).filter(([, values]) => values.length > 0);
    if (answers.length === 0) {
      this.fail(address, new ControlError('out_of_range', 'has no value to answer (a list entry that does not exist?)'), from);
      return false;
    }
    const to = this.answerTargets(from);
    for (const [t, values] of answers) {
      const data = encodeMessage(t.path, values, t.type);
      for (const peer of to) this.send(peer, data);
    }
    return true;
  }

  /** The peers a "?" query is answered to (osc.answer_queries_to), each once. */
  private answerTargets(from: OscPeer | undefined): OscPeer[] {
    const { to = 'sender', feedback = [] } = this.opts.answerQueries ?? {};
    const sender = from ? [from] : [];
    if (to === 'sender' || from?.reply) return sender;
    return distinctPeers(to === 'both' ? [...sender, ...feedback] : feedback);
  }

  /** Counts, logs and emits a failure; anything thrown that is not a ControlError counts as 'rejected'. Never throws. */
  fail(address: string, e: unknown, from?: OscPeer): void {
    const error = e instanceof ControlError ? e : new ControlError('rejected', e instanceof Error ? e.message : String(e));
    this.stats.failures[error.reason]++;
    this.warn(error.reason, `${this.name}: ${error.reason.replaceAll('_', ' ')}: ${address}: ${error.message}`, { from: from ? `${from.address}:${from.port}` : undefined });
    try {
      this.emit('failure', { address, reason: error.reason, message: error.message, from });
    } catch (listenerError) {
      this.warn('failure listener', `${this.name}: cannot report a failure`, { err: (listenerError as Error).message });
    }
  }

  /** Sends one packet; a peer that cannot be reached (closed WebSocket, bad port) is logged, never thrown. */
  send(to: OscPeer, data: Uint8Array): void {
    const cannotSend = (e: Error) => this.warn(`send ${to.address}:${to.port}`, `${this.name}: cannot send to ${to.address}:${to.port}`, { err: e.message });
    try {
      if (to.reply) return to.reply(data);
      this.socket?.send(data, to.port, to.address, (e) => e && cannotSend(e));
    } catch (e) {
      cannotSend(e as Error);
    }
  }

  async close(): Promise<void> {
    this.timed.close();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
