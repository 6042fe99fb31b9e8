import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome, Reason } from '@app/protocol';

/** The health-code service's circuit breaker states, each a series of the state gauge. */
export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/**
 * What the gauges read at scrape time. The composition root fills these in, so this folder
 * imports none of the services it watches.
 */
export interface MetricSources {
  breakerState?: () => BreakerState;
  tapsInFlight?: () => number;
  /** Entries held by each in-memory cache, by a short name (`health_fresh`, `consents`, ...). */
  caches?: Record<string, () => number>;
  /** The ride-code verifying threads' ids in the operating system. */
  verifyingThreads?: () => readonly number[];
}

/** Seconds, from a lone cold lookup (a few ms) to the longest budget a tap may give one. */
const DEPENDENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Prometheus metrics; one registry per gateway instance (tests run several in one process). */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};
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
  /** One observation per request to the health-code service for tap statuses (a batch). */
  readonly authorityLookup = new Histogram({
    name: 'gateway_authority_lookup_duration_seconds',
    help: 'Health-code service status lookups (one request, possibly for many taps), by result',
    labelNames: ['result'],
    buckets: DEPENDENCY_BUCKETS,
    registers: [this.registry],
  });
  /** One observation per check-in transaction (a batch of taps), until PostgreSQL answered. */
  readonly checkInCommit = new Histogram({
    name: 'gateway_checkin_commit_duration_seconds',
    help: 'Check-in transactions from sending to the answer of their COMMIT, by result',
    labelNames: ['result'],
    buckets: DEPENDENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly natsReconnects = new Counter({
    name: 'gateway_nats_reconnects_total',
    help: 'Times the NATS connection was re-established after a loss',
    registers: [this.registry],
  });

  readonly refusedReplies = new Counter({
    name: 'gateway_replies_refused_total',
    help: 'Gate replies not sent because the reply subject named was not an inbox',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    new Gauge({
      name: 'gateway_authority_breaker_state',
      help: 'The health-code service circuit breaker: 1 for the state it is in, 0 for the others',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const now = sources().breakerState?.();
        for (const state of BREAKER_STATES) this.set({ state }, state === now ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gateway_taps_in_flight',
      help: 'Gate taps and checkpoint scans received and not yet answered',
      registers: [this.registry],
      collect() {
        this.set(sources().tapsInFlight?.() ?? 0);
      },
    });
    new Gauge({
      name: 'gateway_ride_code_verifying_thread',
      help: 'One series per ride-code verifying thread, labelled with its id in the operating system (its CPU is in /proc/<pid>/task/<tid>)',
      labelNames: ['tid'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const tid of sources().verifyingThreads?.() ?? []) this.set({ tid: String(tid) }, 1);
      },
    });
    new Gauge({
      name: 'gateway_cache_entries',
      help: 'Entries held by each in-memory cache',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        for (const [cache, size] of Object.entries(sources().caches ?? {}))
          this.set({ cache }, size());
      },
    });
  }

  /** Called once by the composition root, with readers for the gauges. */
  watch(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  observeDecision(outcome: Outcome, reasons: readonly Reason[], ms: number): void {
    this.latency.observe({ outcome }, ms / 1000);
    for (const r of reasons) this.reasons.inc({ reason: r });
  }
}
