/**
 * The one home of the identifier patterns every edge checks (HTTP bodies and parameters, gate
 * messages, the staff feed), and of the message that names them.
 */

/** stationId, gateId, deviceId, lineId: subject tokens, so dots, spaces and wildcards never match. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** A gate's tapId, unique per physical tap. */
export const TAP_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** Longer names: card and ticket numbers, rule version ids, an instance's origin. */
export const LONG_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Card and ticket numbers. */
export const MEDIUM_NO_PATTERN = LONG_ID_PATTERN;
/** A resident ID number: 17 digits, then a digit or X. */
export const ID_NUMBER_PATTERN = /^[0-9]{17}[0-9Xx]$/;

/** What a refusal says about a value that does not match `pattern`. */
export const mustMatch = (field: string, pattern: RegExp): string =>
  `${field} must match ${pattern.source}`;

/** What a refusal says about a value that is not an ID number. */
export const notAnIdNumber = (field: string): string =>
  `${field} must be an 18-character ID number: 17 digits, then a digit or X`;
