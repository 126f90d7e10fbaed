/**
 * `AuditSink` over HTTP. `emit` never blocks and never throws: it serializes the event into a bounded in-memory
 * buffer (a full buffer drops the new event and counts it) and returns. Batches go to `/v1/audit/events` in the
 * background, when `auditBatchSize` events are waiting or `auditFlushMs` after the first one. A batch the
 * service could not take (unreachable, timeout, 5xx, 429) stays at the head of the buffer and is retried with
 * backoff; a batch it refuses as invalid (400/413/422) is dropped and counted as `rejected`.
 */

import { HooksClient, HooksError } from './client.js';
import type { AdapterConfig } from './config.js';
import { warn } from './log.js';
import type { AuditEvent, AuditSink } from './types.js';

const MAX_BATCH_BYTES = 1_000_000; // the service's default body limit is 2 MB
const MAX_BACKOFF_MS = 30_000;
const WIRE_FIELDS = new Set(['timestamp', 'category', 'action', 'actor', 'detail']);

export interface AuditStats {
  buffered: number;
  sent: number;
  dropped: number;
  rejected: number;
  failedAttempts: number;
}

/** The event as the service's `UpstreamAuditEvent` takes it (unknown top-level fields kept inside `detail`). */
function toWire(event: AuditEvent): string {
  const raw = event as unknown as Record<string, unknown>;
  let detail: Record<string, unknown> =
    typeof raw['detail'] === 'object' && raw['detail'] !== null && !Array.isArray(raw['detail'])
      ? { ...(raw['detail'] as Record<string, unknown>) }
      : raw['detail'] === undefined
        ? {}
        : { value: raw['detail'] };
  const extra = Object.fromEntries(Object.entries(raw).filter(([key]) => !WIRE_FIELDS.has(key)));
  if (Object.keys(extra).length > 0) detail = { ...detail, eventFields: extra };
  return JSON.stringify({
    timestamp: typeof raw['timestamp'] === 'string' ? raw['timestamp'] : new Date().toISOString(),
    category: String(raw['category'] ?? 'unknown'),
    action: String(raw['action'] ?? 'unknown'),
    actor: String(raw['actor'] ?? 'unknown').slice(0, 256),
    detail,
  });
}

export class BufferedAuditSink implements AuditSink {
  private readonly queue: string[] = [];
  private readonly counters = { sent: 0, dropped: 0, rejected: 0, failedAttempts: 0 };
  private timer: NodeJS.Timeout | undefined;
  private shipping: Promise<boolean> | undefined;
  private backoffMs = 0;
  /**
   * How many events at the head of the buffer were sent in an attempt whose outcome is unknown (a timeout, a reset
   * connection, a 5xx): the service may have recorded them. They are resent alone, marked as a replay, so the trail
   * can tell a possible duplicate from a forged one.
   */
  private uncertain = 0;

  constructor(
    private readonly client: HooksClient,
    private readonly config: AdapterConfig,
  ) {}

  emit(event: AuditEvent): void {
    try {
      if (this.queue.length >= this.config.auditBufferSize) {
        this.counters.dropped++;
        if (this.counters.dropped === 1 || this.counters.dropped % 1000 === 0) {
          warn('audit buffer full: event dropped', { dropped: this.counters.dropped });
        }
        return;
      }
      this.queue.push(toWire(event));
      if (this.queue.length >= this.config.auditBatchSize && this.backoffMs === 0) this.schedule(0);
      else this.schedule(Math.max(this.config.auditFlushMs, this.backoffMs));
    } catch {
      this.counters.dropped++; // not serializable (a cycle, a BigInt): counted, never thrown at the brain
    }
  }

  stats(): AuditStats {
    return { buffered: this.queue.length, ...this.counters };
  }

  /** Ship everything buffered now; resolves when the buffer is empty or a batch could not be delivered. */
  async flush(): Promise<boolean> {
    while (this.queue.length > 0) {
      if (!(await this.ship())) return false;
    }
    return true;
  }

  /** Stop the background timer (buffered events stay buffered; call `flush` first to send them). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.shipping) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.ship().then(() => {
        if (this.queue.length > 0) this.schedule(this.backoffMs || this.config.auditFlushMs);
      });
    }, delayMs);
    this.timer.unref(); // buffered audit never keeps the brain alive
  }

  /**
   * Send one batch from the head of the buffer; true when it was delivered (or refused as invalid). One batch is
   * in flight at a time: a call while one is in flight waits for it instead (never sending the same events twice).
   */
  private ship(): Promise<boolean> {
    if (this.shipping) return this.shipping;
    const promise = this.shipHead().finally(() => {
      this.shipping = undefined;
    });
    this.shipping = promise;
    return promise;
  }

  private async shipHead(): Promise<boolean> {
    const batch: string[] = [];
    let bytes = 2;
    const limit = this.uncertain > 0 ? this.uncertain : this.config.auditBatchSize;
    const replay = this.uncertain > 0;
    for (const item of this.queue) {
      if (batch.length >= limit) break;
      if (batch.length > 0 && bytes + item.length + 1 > MAX_BATCH_BYTES) break;
      batch.push(item);
      bytes += item.length + 1;
    }
    if (batch.length === 0) return true;
    try {
      await this.client.auditEvents(`[${batch.join(',')}]`, replay);
      this.uncertain = 0;
      this.queue.splice(0, batch.length);
      this.counters.sent += batch.length;
      this.backoffMs = 0;
      return true;
    } catch (err) {
      const status = err instanceof HooksError ? err.status : undefined;
      if (status === 400 || status === 413 || status === 422) {
        this.uncertain = 0;
        this.queue.splice(0, batch.length);
        this.counters.rejected += batch.length;
        warn('audit batch refused by the hooks service: dropped', {
          events: batch.length,
          error: err instanceof Error ? err.message : String(err),
        });
        return true;
      }
      this.counters.failedAttempts++;
      // A refused connection never reached the service; anything else may have been recorded.
      const refused = err instanceof Error && err.message.includes('ECONNREFUSED');
      if (!refused) this.uncertain = Math.max(this.uncertain, batch.length);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoffMs * 2));
      warn('audit batch not delivered: kept for retry', {
        events: batch.length,
        retryInMs: this.backoffMs,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }
}
