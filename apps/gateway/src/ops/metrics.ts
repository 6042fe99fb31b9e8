import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome, Reason } from '@app/protocol';

/** Prometheus metrics; one registry per gateway instance (tests run several in one process). */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly latency = new Histogram({
    name: 'gateway_decision_seconds',
    help: 'Time from a tap arriving to its reply, by outcome',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly reasons = new Counter({
    name: 'gateway_decision_reasons_total',
    help: 'Reasons given to gates',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'gateway_malformed_requests_total',
    help: 'Gate messages answered MALFORMED_REQUEST',
    registers: [this.registry],
  });

  readonly refusedReplies = new Counter({
    name: 'gateway_replies_refused_total',
    help: 'Gate replies not sent because the reply subject named was not an inbox',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeDecision(outcome: Outcome, reasons: readonly Reason[], ms: number): void {
    this.latency.observe({ outcome }, ms / 1000);
    for (const r of reasons) this.reasons.inc({ reason: r });
  }
}
