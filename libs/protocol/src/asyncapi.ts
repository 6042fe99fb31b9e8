/**
 * The gate protocol as an AsyncAPI 3.0 document, built from this library's own constants (the
 * patterns, reasons, subjects and limits the gateway checks), so the document cannot drift from
 * the code. `npm run asyncapi` writes it to docs/asyncapi.json; the gateway serves it.
 */
import { ID_NUMBER_PATTERN, ID_PATTERN, MEDIUM_NO_PATTERN, TAP_ID_PATTERN } from './patterns';
import { REASON_OUTCOME, REASONS } from './reasons';
import { GATEWAY_SERVICE, QUEUE_GROUP } from './subjects';
import { PROTOCOL_VERSION, type CredentialKind } from './types';
import { MAX_CODE_LENGTH, TEMPERATURE_RANGE } from './validate';

/** The revision of the published spec this document describes. */
export const GATE_PROTOCOL_REVISION = '1.1.0';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const text = (pattern: RegExp, description: string): Schema => ({
  type: 'string',
  pattern: pattern.source,
  description,
});
const code: Schema = { type: 'string', minLength: 1, maxLength: MAX_CODE_LENGTH };

/** The field each credential kind carries, and its schema. */
const CREDENTIAL_FIELDS: Record<CredentialKind, [field: string, schema: Schema, about: string]> = {
  'ride-code': ['code', code, "the metro app's riding QR code (a compact JWS)"],
  card: ['cardNo', text(MEDIUM_NO_PATTERN, 'card number'), 'a transit card'],
  'day-ticket': [
    'ticketNo',
    text(MEDIUM_NO_PATTERN, 'ticket number'),
    'a one- or three-day ticket',
  ],
  'companion-ticket': ['ticketNo', text(MEDIUM_NO_PATTERN, 'ticket number'), 'a companion ticket'],
  'single-journey': [
    'ticketNo',
    text(MEDIUM_NO_PATTERN, 'ticket number'),
    'a single-journey ticket',
  ],
  'offline-code': ['code', code, 'a paper offline health code; always sent to staff'],
  'id-card': [
    'idNumber',
    text(ID_NUMBER_PATTERN, 'the 18-character ID number read from the card'),
    'an ID card, at a digital-sentinel checkpoint',
  ],
  'relative-code': ['code', code, "a family member's code, at a digital-sentinel checkpoint"],
  'health-code': [
    'code',
    code,
    "the person's own dynamic health code (since 1.1), at a digital-sentinel checkpoint",
  ],
};

/** Which credentials each device reads: what the gateway's parser accepts. */
export const GATE_CREDENTIAL_KINDS: CredentialKind[] = [
  'ride-code',
  'card',
  'day-ticket',
  'companion-ticket',
  'single-journey',
  'offline-code',
];
export const CHECKPOINT_CREDENTIAL_KINDS: CredentialKind[] = [
  'ride-code',
  'offline-code',
  'id-card',
  'relative-code',
  'health-code',
];

function credential(kind: CredentialKind): Schema {
  const [field, schema, about] = CREDENTIAL_FIELDS[kind];
  return {
    type: 'object',
    description: about,
    required: ['kind', field],
    properties: { kind: { const: kind }, [field]: schema },
  };
}

const credentialSchemaName = (kind: CredentialKind) =>
  `${kind.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Credential`;

const identifier = (what: string) => text(ID_PATTERN, `${what}; a NATS subject token`);

const common = {
  v: { const: PROTOCOL_VERSION, description: 'Protocol version' },
  tapId: text(TAP_ID_PATTERN, 'Chosen by the device, unique per physical tap; a retry reuses it'),
  stationId: identifier('Station; must equal the subject token'),
  temperatureC: {
    type: ['number', 'null'],
    minimum: TEMPERATURE_RANGE.min,
    maximum: TEMPERATURE_RANGE.max,
    description: "The device's thermal reading in °C, or null when it has none",
  },
};

const subjectParameter = (description: string) => ({ description });

export function gateProtocolAsyncApi(): Record<string, unknown> {
  const schemas: Record<string, Schema> = {};
  for (const kind of Object.keys(CREDENTIAL_FIELDS) as CredentialKind[])
    schemas[credentialSchemaName(kind)] = credential(kind);
  Object.assign(schemas, {
    GateCredential: { oneOf: GATE_CREDENTIAL_KINDS.map((k) => ref(credentialSchemaName(k))) },
    CheckpointCredential: {
      oneOf: CHECKPOINT_CREDENTIAL_KINDS.map((k) => ref(credentialSchemaName(k))),
    },
    TapRequest: {
      type: 'object',
      required: ['v', 'tapId', 'stationId', 'gateId', 'mode', 'temperatureC', 'credential'],
      properties: {
        ...common,
        gateId: identifier('Gate; must equal the subject token'),
        mode: { enum: ['entry', 'exit'] },
        credential: ref('GateCredential'),
      },
    },
    ScanRequest: {
      type: 'object',
      required: ['v', 'tapId', 'stationId', 'deviceId', 'temperatureC', 'credential'],
      properties: {
        ...common,
        deviceId: identifier('Checkpoint device; must equal the subject token'),
        credential: ref('CheckpointCredential'),
      },
    },
    Display: {
      type: 'object',
      required: ['zh', 'en'],
      properties: { zh: { type: 'string' }, en: { type: 'string' } },
      description: "Short messages for the device's screen: what the rider should do",
    },
    GateReply: {
      type: 'object',
      description:
        'A MALFORMED_REQUEST reply carries v, outcome, reasons and display, plus tapId when one ' +
        'could be read; every other reply carries every field.',
      required: ['v', 'outcome', 'reasons', 'display'],
      properties: {
        v: common.v,
        tapId: common.tapId,
        outcome: { enum: ['open', 'see-staff', 'deny'] },
        reasons: {
          type: 'array',
          uniqueItems: true,
          items: { enum: REASONS },
          description:
            'Every reason that applies; empty only when the outcome is open. Each forces an ' +
            `outcome: ${REASONS.map((r) => `${r} → ${REASON_OUTCOME[r]}`).join(', ')}.`,
        },
        display: ref('Display'),
        checkInId: {
          type: ['string', 'null'],
          description: 'The venue check-in this tap recorded; an open entry always records one',
        },
        policyVersion: { type: ['string', 'null'], description: 'The rule version that decided' },
        policyHash: {
          type: ['string', 'null'],
          description: "Since 1.1: the hash of that version's canonical form",
        },
        decidedAt: {
          type: 'string',
          format: 'date-time',
          pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?[+-]\\d{2}:\\d{2}$',
          description: "The gateway's clock, with its offset",
        },
      },
    },
    GateCommand: {
      type: 'object',
      required: ['v', 'cmd', 'passId', 'reason'],
      properties: {
        v: common.v,
        cmd: { const: 'open-once' },
        passId: { type: 'string', description: 'The staff pass this opening spends' },
        reason: { type: 'string' },
      },
    },
    GateCommandAck: {
      type: 'object',
      required: ['v', 'ok'],
      properties: { v: common.v, ok: { type: 'boolean' } },
    },
  });

  const message = (name: string, summary: string) => ({
    name,
    summary,
    contentType: 'application/json',
    payload: ref(name),
  });
  const nats = { nats: { queue: QUEUE_GROUP, bindingVersion: '0.1.0' } };
  const inbox =
    "The reply goes to the request's reply subject, which must be an inbox (`_INBOX.…`; with " +
    'per-device credentials `_INBOX.<stationId>.<gateId or deviceId>.…`). The gateway publishes ' +
    'nothing on any other reply subject.';

  return {
    asyncapi: '3.0.0',
    id: `urn:one-code-ride:${GATEWAY_SERVICE}:gate-protocol`,
    info: {
      title: 'Gate protocol',
      version: GATE_PROTOCOL_REVISION,
      description:
        'What fare gates and security-checkpoint scanners exchange with the fare gateway: plain ' +
        'JSON (UTF-8) on NATS core request/reply, no envelope. Receivers ignore fields they do ' +
        'not know. The station and device tokens of a subject are authoritative: a body that ' +
        'disagrees with its subject is MALFORMED_REQUEST. A tap repeated with the same tapId ' +
        'from the same device within 10 minutes gets the same reply; the same tapId with another ' +
        'request is MALFORMED_REQUEST.',
    },
    defaultContentType: 'application/json',
    channels: {
      tap: {
        address: 'metro.gate.{stationId}.{gateId}.tap',
        parameters: {
          stationId: subjectParameter(`Station id, ${ID_PATTERN.source}`),
          gateId: subjectParameter(`Gate id, ${ID_PATTERN.source}`),
        },
        messages: { TapRequest: { $ref: '#/components/messages/TapRequest' } },
      },
      scan: {
        address: 'metro.checkpoint.{stationId}.{deviceId}.scan',
        parameters: {
          stationId: subjectParameter(`Station id, ${ID_PATTERN.source}`),
          deviceId: subjectParameter(`Checkpoint device id, ${ID_PATTERN.source}`),
        },
        messages: { ScanRequest: { $ref: '#/components/messages/ScanRequest' } },
      },
      reply: {
        address: null,
        description: inbox,
        messages: { GateReply: { $ref: '#/components/messages/GateReply' } },
      },
      command: {
        address: 'metro.gate.{stationId}.{gateId}.cmd',
        parameters: {
          stationId: subjectParameter(`Station id, ${ID_PATTERN.source}`),
          gateId: subjectParameter(`Gate id, ${ID_PATTERN.source}`),
        },
        messages: { GateCommand: { $ref: '#/components/messages/GateCommand' } },
      },
      commandAck: {
        address: null,
        description: "The gate's acknowledgement, on the command's inbox reply subject",
        messages: { GateCommandAck: { $ref: '#/components/messages/GateCommandAck' } },
      },
    },
    operations: {
      decideTap: {
        action: 'receive',
        summary: 'A gate asks whether to open; the gateway answers once',
        channel: { $ref: '#/channels/tap' },
        bindings: nats,
        reply: { channel: { $ref: '#/channels/reply' } },
      },
      decideScan: {
        action: 'receive',
        summary: 'A checkpoint scanner asks whether to pass the rider',
        channel: { $ref: '#/channels/scan' },
        bindings: nats,
        reply: { channel: { $ref: '#/channels/reply' } },
      },
      commandGate: {
        action: 'send',
        summary: 'The gateway tells a gate to open once (a staff pass); every command is audited',
        channel: { $ref: '#/channels/command' },
        reply: { channel: { $ref: '#/channels/commandAck' } },
      },
    },
    components: {
      messages: {
        TapRequest: message('TapRequest', 'A tap at a fare gate'),
        ScanRequest: message('ScanRequest', 'A scan at a security checkpoint'),
        GateReply: message('GateReply', 'The decision, for the gate or scanner'),
        GateCommand: message('GateCommand', 'A command to a gate'),
        GateCommandAck: message('GateCommandAck', "The gate's acknowledgement"),
      },
      schemas,
    },
  };
}
