import { Init1700000000000 } from './1700000000000-Init';
import { Seed20221700000000001 } from './1700000000001-Seed2022';
import { OperatorRules1700000000010 } from './1700000000010-OperatorRules';
import { CardsTicketsStaff1700000000020 } from './1700000000020-CardsTicketsStaff';
import { CheckinRetention1700000000030 } from './1700000000030-CheckinRetention';
import { AdmitTaps1700000000040 } from './1700000000040-AdmitTaps';
import { AdmitTapsLean1700000000050 } from './1700000000050-AdmitTapsLean';
import { AdmitTapsIndexOnly1700000000060 } from './1700000000060-AdmitTapsIndexOnly';
import { StaffVerifications1700000000070 } from './1700000000070-StaffVerifications';
import { NetworkAdministration1700000000080 } from './1700000000080-NetworkAdministration';
import { IdLookups1700000000110 } from './1700000000110-IdLookups';
import { BroadcastReconciliation1700000000120 } from './1700000000120-BroadcastReconciliation';
import { CheckinTrace1700000000130 } from './1700000000130-CheckinTrace';
import { AdmissionFence1700000000140 } from './1700000000140-AdmissionFence';
import { ProvedIdentity1700000000150 } from './1700000000150-ProvedIdentity';
import { PassInAdmission1700000000160 } from './1700000000160-PassInAdmission';

/** Listed explicitly so ts-node, jest and compiled builds all load the same set. */
export const MIGRATIONS = [
  Init1700000000000,
  Seed20221700000000001,
  OperatorRules1700000000010,
  CardsTicketsStaff1700000000020,
  CheckinRetention1700000000030,
  AdmitTaps1700000000040,
  AdmitTapsLean1700000000050,
  AdmitTapsIndexOnly1700000000060,
  StaffVerifications1700000000070,
  NetworkAdministration1700000000080,
  IdLookups1700000000110,
  BroadcastReconciliation1700000000120,
  CheckinTrace1700000000130,
  AdmissionFence1700000000140,
  ProvedIdentity1700000000150,
  PassInAdmission1700000000160,
];
