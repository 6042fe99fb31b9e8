import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { Principal } from '@app/access-token';
import {
  ID_PATTERN,
  gateCommandSubject,
  mustMatch,
  type GateCommand,
  type GateCommandAck,
} from '@app/protocol';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { GATE_CLIENT, LOGGER } from '../common/tokens';
import { StaffAuditService } from './audit.service';
import type { RemoteOpenResultDto } from './staff.dto';

/** How long a gate has to acknowledge `open-once`. */
export const GATE_ACK_TIMEOUT_MS = 2_000;

/** Remote open: `open-once` to the gate, and whether it acknowledged. */
@Injectable()
export class GateCommandService {
  constructor(
    @Inject(GATE_CLIENT) private readonly gates: ClientProxy,
    private readonly audit: StaffAuditService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async openOnce(
    staff: Principal,
    stationId: string,
    gateId: string,
    reason: string,
  ): Promise<RemoteOpenResultDto> {
    // The gate id becomes a subject token: no dots, spaces or wildcards.
    if (!ID_PATTERN.test(gateId))
      throw new AppError('VALIDATION_FAILED', mustMatch('gateId', ID_PATTERN));
    const passId = randomUUID();
    const cmd: GateCommand = { v: 1, cmd: 'open-once', passId, reason };
    let result: RemoteOpenResultDto;
    try {
      const ack = await firstValueFrom(
        this.gates.send<Partial<GateCommandAck> | null>(gateCommandSubject(stationId, gateId), cmd),
      );
      result =
        ack?.v === 1 && ack.ok === true
          ? { acknowledged: true, passId }
          : { acknowledged: false, passId, reason: 'GATE_REFUSED' };
    } catch (e) {
      // No responder, a timeout, or an unreadable answer: the gate did not acknowledge.
      this.log.warn({ stationId, gateId, err: (e as Error).message }, 'gate did not acknowledge');
      result = { acknowledged: false, passId, reason: 'GATE_DID_NOT_ANSWER' };
    }
    await this.audit.record(
      staff,
      stationId,
      'remote-open',
      reason,
      result.acknowledged ? 'acknowledged' : (result.reason ?? 'not-acknowledged'),
      `${gateId}/${passId}`,
    );
    return result;
  }
}
