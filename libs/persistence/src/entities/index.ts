import { CheckpointDeviceEntity } from './checkpoint-device.entity';
import { ConsentRevocationEntity } from './consent-revocation.entity';
import { IdLookupEntity } from './id-lookup.entity';
import { RuleTimelineRevisionEntity } from './rule-timeline-revision.entity';
import { LineEntity } from './line.entity';
import { NetworkAuditEntity } from './network-audit.entity';
import { StaffVerificationEntity } from './staff-verification.entity';
import { UnrecordedStationEntity } from './unrecorded-station.entity';
import { CheckInEntity } from './check-in.entity';
import { CheckinExportAuditEntity } from './checkin-export-audit.entity';
import { CheckinTraceAuditEntity } from './checkin-trace-audit.entity';
import { CheckpointClearanceEntity } from './checkpoint-clearance.entity';
import { GuaranteeCardEntity } from './guarantee-card.entity';
import { HealthLinkEntity } from './health-link.entity';
import { JourneyEntity } from './journey.entity';
import { RideCodeUseEntity } from './ride-code-use.entity';
import { RiderEntity } from './rider.entity';
import { RuleAuditEntity } from './rule-audit.entity';
import { RuleShadowCountEntity } from './rule-shadow-count.entity';
import { RuleVersionEntity } from './rule-version.entity';
import { StaffAuditEntity } from './staff-audit.entity';
import { StaffPassEntity } from './staff-pass.entity';
import { StationEntity } from './station.entity';
import { TapReceiptEntity } from './tap-receipt.entity';
import { TicketEntity } from './ticket.entity';
import { TransitCardEntity } from './transit-card.entity';

export {
  CheckpointDeviceEntity,
  ConsentRevocationEntity,
  IdLookupEntity,
  RuleTimelineRevisionEntity,
  LineEntity,
  NetworkAuditEntity,
  StaffVerificationEntity,
  UnrecordedStationEntity,
  CheckInEntity,
  CheckinExportAuditEntity,
  CheckinTraceAuditEntity,
  CheckpointClearanceEntity,
  GuaranteeCardEntity,
  HealthLinkEntity,
  JourneyEntity,
  RideCodeUseEntity,
  RiderEntity,
  RuleAuditEntity,
  RuleShadowCountEntity,
  RuleVersionEntity,
  StaffAuditEntity,
  StaffPassEntity,
  StationEntity,
  TapReceiptEntity,
  TicketEntity,
  TransitCardEntity,
};

/**
 * Every table the migrations create, one entity each. Listed explicitly, like the migrations,
 * so ts-node, jest and compiled builds load the same set; the schema-drift test fails when a
 * table has no entity here or an entity disagrees with what the migrations built.
 */
export const ENTITIES = [
  StationEntity,
  RuleVersionEntity,
  RuleAuditEntity,
  RuleShadowCountEntity,
  RiderEntity,
  HealthLinkEntity,
  CheckInEntity,
  TapReceiptEntity,
  RideCodeUseEntity,
  JourneyEntity,
  TransitCardEntity,
  GuaranteeCardEntity,
  TicketEntity,
  CheckpointClearanceEntity,
  StaffPassEntity,
  StaffAuditEntity,
  CheckinExportAuditEntity,
  CheckinTraceAuditEntity,
  StaffVerificationEntity,
  LineEntity,
  CheckpointDeviceEntity,
  UnrecordedStationEntity,
  NetworkAuditEntity,
  IdLookupEntity,
  RuleTimelineRevisionEntity,
  ConsentRevocationEntity,
];
