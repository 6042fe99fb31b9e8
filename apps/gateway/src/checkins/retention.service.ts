import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { CLOCK, CONFIG, LOGGER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import {
  PartitionsRepository,
  type DayPartition,
  type RelatedPurge,
} from './partitions.repository';

const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;

/** The Asia/Shanghai day holding `t` (fixed +08:00 since 1991). */
export function shanghaiDay(t: number): DayPartition {
  const from = Math.floor((t + SHANGHAI_MS) / DAY_MS) * DAY_MS - SHANGHAI_MS;
  const ymd = new Date(from + SHANGHAI_MS).toISOString().slice(0, 10).replace(/-/g, '');
  return { name: `check_ins_p${ymd}`, from, to: from + DAY_MS };
}

/** The first instant of the Shanghai day a partition name stands for. */
export function partitionStart(name: string): number {
  const m = /^check_ins_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) throw new Error(`not a check-in partition name: ${name}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - SHANGHAI_MS;
}

export interface RetentionReport {
  created: string[];
  kept: string[];
  dropped: string[];
  defaultRowsPurged: number;
  /** Journeys, staff passes, verifications and tap receipts purged with the check-ins. */
  related: RelatedPurge;
}

/**
 * Keeps daily partitions ready ahead of time and purges check-ins past RETENTION_DAYS: an
 * expired day is dropped whole, rows that landed in DEFAULT are deleted, and journeys, staff
 * passes, verifications and tap receipts of the same age go too. Partitions are made
 * at boot and on schedule; the purge runs on the schedule only, first one interval after boot.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionReport | null> | null = null;

  constructor(
    private readonly repo: PartitionsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.guarded(() => this.prepare().then((created) => ({ ...EMPTY, created })));
    this.timer = setInterval(
      () => void this.run(),
      this.config.checkInMaintenanceIntervalMs,
    ).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One maintenance pass; overlapping calls share the pass in progress. */
  run(): Promise<RetentionReport | null> {
    return this.guarded(async () => {
      const created = await this.prepare();
      return { ...(await this.purge()), created };
    });
  }

  private guarded(pass: () => Promise<RetentionReport>): Promise<RetentionReport | null> {
    this.running ??= pass()
      .catch((e: unknown) => {
        this.log.warn({ err: (e as Error).message }, 'check-in maintenance failed; will retry');
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Today's and the next days' partitions. */
  private async prepare(): Promise<string[]> {
    const now = this.clock.now();
    const created: string[] = [];
    for (let d = 0; d <= this.config.checkInPartitionsAheadDays; d++) {
      const day = shanghaiDay(now + d * DAY_MS);
      const result = await this.repo.ensure(day);
      if (result === 'created') created.push(day.name);
      else if (result === 'default-has-rows')
        this.log.info(
          { partition: day.name },
          'check-in partition not created: DEFAULT already holds rows of that day; they stay there until retention',
        );
    }
    if (created.length > 0) this.log.info({ created }, 'check-in partitions created');
    return created;
  }

  private async purge(): Promise<Omit<RetentionReport, 'created'>> {
    const cutoff = this.clock.now() - this.config.retentionDays * DAY_MS;
    const dropped: string[] = [];
    const kept: string[] = [];
    for (const name of await this.repo.list()) {
      // A day goes only when its last instant is past retention.
      if (partitionStart(name) + DAY_MS <= cutoff) {
        if (await this.repo.drop(name)) dropped.push(name);
      } else kept.push(name);
    }
    const defaultRowsPurged = await this.repo.purgeDefault(new Date(cutoff));
    // Who was inside, which passes let whom in, which taps were replied to: personal data of
    // the same age as the check-ins, and gone with them.
    const related = await this.repo.purgeRelated(new Date(cutoff));
    const relatedRows = Object.values(related).reduce((a, b) => a + b, 0);
    if (dropped.length > 0 || defaultRowsPurged > 0 || relatedRows > 0)
      this.log.info(
        { dropped, defaultRowsPurged, related, retentionDays: this.config.retentionDays },
        'expired check-ins purged',
      );
    return { kept, dropped, defaultRowsPurged, related };
  }
}

const EMPTY: RetentionReport = {
  created: [],
  kept: [],
  dropped: [],
  defaultRowsPurged: 0,
  related: { journeys: 0, passes: 0, verifications: 0, receipts: 0 },
};
