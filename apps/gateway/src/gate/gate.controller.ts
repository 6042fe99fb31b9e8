import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EVENTS,
  PROBE_SUBJECTS,
  SCAN_SUBJECTS,
  TAP_SUBJECTS,
  type GateReply,
  type WireBody,
} from '@app/protocol';
import { GateService } from './gate.service';
import { endpoint, type GateContext } from './gate.transport';

/** The gate subjects: taps and scans are answered (queue group), broadcasts heard by all. */
@Controller()
export class GateController {
  constructor(private readonly gate: GateService) {}

  @MessagePattern(TAP_SUBJECTS, endpoint('tap'))
  tap(@Payload() body: WireBody, @Ctx() ctx: GateContext): Promise<GateReply> {
    return this.gate.tap(ctx.subject, body, ctx.arrivedAtMs);
  }

  @MessagePattern(SCAN_SUBJECTS, endpoint('scan'))
  scan(@Payload() body: WireBody, @Ctx() ctx: GateContext): Promise<GateReply> {
    return this.gate.scan(ctx.subject, body, ctx.arrivedAtMs);
  }

  @MessagePattern(PROBE_SUBJECTS, endpoint('probe'))
  probe(@Payload() body: WireBody, @Ctx() ctx: GateContext): Promise<GateReply> {
    return this.gate.probe(ctx.subject, body, ctx.arrivedAtMs);
  }

  @EventPattern(EVENTS.authorityStatusChanged)
  statusChanged(@Payload() body: WireBody): void {
    this.gate.statusChanged(body);
  }

  @EventPattern(EVENTS.riderRevoked)
  riderRevoked(@Payload() body: WireBody): void {
    this.gate.riderRevoked(body);
  }

  @EventPattern(EVENTS.rulesChanged)
  rulesChanged(): Promise<void> {
    return this.gate.rulesChanged();
  }

  @EventPattern(`${EVENTS.stationFeed}.*`)
  feedRelayed(@Payload() body: WireBody, @Ctx() ctx: GateContext): void {
    this.gate.feedRelayed(ctx.subject, body);
  }
}
