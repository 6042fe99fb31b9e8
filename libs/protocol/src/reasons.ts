/** Reasons of gate protocol v1, with the outcome each one forces. */
export const REASON_OUTCOME = {
  TEMPERATURE_HIGH: 'see-staff',
  TEMPERATURE_MISSING: 'see-staff',
  HEALTH_CODE_NOT_GREEN: 'see-staff',
  TEST_MISSING: 'see-staff',
  TEST_EXPIRED: 'see-staff',
  NOT_AUTHORIZED: 'see-staff',
  ONE_CODE_NOT_ENABLED: 'see-staff',
  VENUE_CHECK_REQUIRED: 'see-staff',
  OFFLINE_CODE_NEEDS_STAFF: 'see-staff',
  HEALTH_SERVICE_UNAVAILABLE: 'see-staff',
  /** Extension: PostgreSQL could not commit the check-in in time, so the gate may not open. */
  RECORD_UNAVAILABLE: 'see-staff',
  CODE_INVALID: 'deny',
  CODE_EXPIRED: 'deny',
  CODE_REPLAYED: 'deny',
  ALREADY_INSIDE: 'deny',
  CARD_BLOCKED: 'deny',
  MALFORMED_REQUEST: 'deny',
} as const;

export type Reason = keyof typeof REASON_OUTCOME;
export type Outcome = 'open' | 'see-staff' | 'deny';
export type StaffReason = {
  [R in Reason]: (typeof REASON_OUTCOME)[R] extends 'see-staff' ? R : never;
}[Reason];
export type DenyReason = {
  [R in Reason]: (typeof REASON_OUTCOME)[R] extends 'deny' ? R : never;
}[Reason];

export const REASONS = Object.keys(REASON_OUTCOME) as Reason[];

export interface Display {
  zh: string;
  en: string;
}

/** What the gate screen says; the first reason of a reply picks the message. */
export const DISPLAY: Record<Reason | 'OPEN', Display> = {
  OPEN: { zh: '请通行', en: 'Please pass' },
  TEMPERATURE_HIGH: { zh: '体温异常，请联系工作人员', en: 'High temperature: please see staff' },
  TEMPERATURE_MISSING: { zh: '请测量体温', en: 'Temperature reading needed: please see staff' },
  HEALTH_CODE_NOT_GREEN: {
    zh: '健康码非绿码，请联系工作人员',
    en: 'Health code not green: please see staff',
  },
  TEST_MISSING: {
    zh: '无核酸阴性记录，请联系工作人员',
    en: 'No negative test on record: please see staff',
  },
  TEST_EXPIRED: {
    zh: '核酸检测已超时限，请联系工作人员',
    en: 'Test result out of window: please see staff',
  },
  NOT_AUTHORIZED: {
    zh: '请扫场所码并出示健康码',
    en: 'Scan the venue code and show your health code to staff',
  },
  ONE_CODE_NOT_ENABLED: {
    zh: '本站未开通一码通行，请扫场所码',
    en: 'One-code riding is not enabled here: scan the venue code',
  },
  VENUE_CHECK_REQUIRED: {
    zh: '请扫场所码并接受查验',
    en: 'Scan the venue code and be checked by staff',
  },
  OFFLINE_CODE_NEEDS_STAFF: {
    zh: '请持离线码和身份证至人工通道',
    en: 'Show your offline code and ID card to staff',
  },
  HEALTH_SERVICE_UNAVAILABLE: {
    zh: '健康核验暂不可用，请联系工作人员',
    en: 'Health check unavailable: please see staff',
  },
  RECORD_UNAVAILABLE: {
    zh: '登记暂不可用，请联系工作人员',
    en: 'Check-in unavailable: please see staff',
  },
  CODE_INVALID: { zh: '无效乘车码', en: 'Invalid ride code' },
  CODE_EXPIRED: { zh: '乘车码已过期，请刷新', en: 'Ride code expired: refresh it' },
  CODE_REPLAYED: { zh: '乘车码已使用，请刷新', en: 'Ride code already used: refresh it' },
  ALREADY_INSIDE: { zh: '已进站，请勿重复刷码', en: 'Already inside: no second entry' },
  CARD_BLOCKED: { zh: '卡已挂失或停用', en: 'Card blocked' },
  MALFORMED_REQUEST: { zh: '设备请求错误', en: 'Malformed request' },
};

export function displayFor(reasons: readonly Reason[]): Display {
  return reasons.length === 0 ? DISPLAY.OPEN : DISPLAY[reasons[0]];
}
