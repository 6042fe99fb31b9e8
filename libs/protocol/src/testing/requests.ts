import type { ScanRequest, TapRequest } from '../types';

/** A well-formed entry tap at S0312/G01 with a healthy reading; `over` changes any field. */
export const tapRequest = (over: Partial<TapRequest> = {}): TapRequest => ({
  v: 1,
  tapId: 'tap-00000001',
  stationId: 'S0312',
  gateId: 'G01',
  mode: 'entry',
  temperatureC: 36.5,
  credential: { kind: 'ride-code', code: 'code-a' },
  ...over,
});

/** The same, as a checkpoint scan by device G01. */
export const scanRequest = (over: Partial<ScanRequest> = {}): ScanRequest => ({
  v: 1,
  tapId: 'tap-00000001',
  stationId: 'S0312',
  deviceId: 'G01',
  temperatureC: 36.5,
  credential: { kind: 'ride-code', code: 'code-a' },
  ...over,
});
