import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Colour } from '../common/vocabulary';

export type TestOutcome = 'negative' | 'positive';

export interface TestRecord {
  /** Epoch ms of sampling: the instant the rules' test window counts from. */
  sampledAt: number;
  result: TestOutcome;
}

/**
 * The authority's record of one resident. birthDate, disabled and specialGroup decide eligibility
 * for offline and relatives' codes (see eligibility.ts); tests are kept in full, with the latest
 * ones cached so a status read is O(1).
 */
export interface Person {
  readonly personId: string;
  readonly idNumber: string;
  readonly name: string;
  /** YYYY-MM-DD, a calendar date with no time zone. */
  readonly birthDate: string;
  readonly disabled: boolean;
  /** Cannot apply for a code on their own (relatives' codes' "special groups"). */
  readonly specialGroup: boolean;
  colour: Colour;
  readonly tests: TestRecord[];
  latestTest: TestRecord | null;
  latestNegativeSampledAt: number | null;
}

export type NewPerson = Pick<
  Person,
  'personId' | 'idNumber' | 'name' | 'birthDate' | 'disabled' | 'specialGroup'
> & {
  /** What the person signs in with at the authority; none (bulk seeds) means no sign-in. */
  passcode?: string;
};

/** scrypt with a small cost: a stand-in's passcodes, hashed so no dump shows them. */
const SCRYPT = { N: 1024, r: 8, p: 1 } as const;
const hashPasscode = (passcode: string, salt: Buffer): Buffer =>
  scryptSync(passcode, salt, 32, SCRYPT);
/** Compared against when the ID number is unknown, so both failures take the same time. */
const DUMMY = { salt: randomBytes(16), hash: randomBytes(32) };

/** In-memory persons keyed by ID number: the authority's own data, never the gateway's. */
@Injectable()
export class PersonStore {
  private readonly byIdNumber = new Map<string, Person>();
  private readonly passcodes = new Map<string, { salt: Buffer; hash: Buffer }>();
  /** Real-name transit cards: card number -> holder's ID number (the card registry's record). */
  private readonly cardHolders = new Map<string, string>();

  get(idNumber: string): Readonly<Person> | undefined {
    return this.byIdNumber.get(idNumber);
  }

  /** False when the ID number is already registered. */
  create({ passcode, ...input }: NewPerson): boolean {
    if (this.byIdNumber.has(input.idNumber)) return false;
    if (passcode !== undefined) {
      const salt = randomBytes(16);
      this.passcodes.set(input.idNumber, { salt, hash: hashPasscode(passcode, salt) });
    }
    this.byIdNumber.set(input.idNumber, {
      ...input,
      colour: 'green',
      tests: [],
      latestTest: null,
      latestNegativeSampledAt: null,
    });
    return true;
  }

  /** The person, when the ID number and passcode are theirs; the same work either way. */
  authenticate(idNumber: string, passcode: string): Readonly<Person> | undefined {
    const stored = this.passcodes.get(idNumber);
    const { salt, hash } = stored ?? DUMMY;
    const ok = timingSafeEqual(hashPasscode(passcode, salt), hash);
    return ok && stored ? this.byIdNumber.get(idNumber) : undefined;
  }

  /** Registers a real-name card to its holder; false when the person is unknown. */
  registerCard(idNumber: string, cardNo: string): boolean {
    if (!this.byIdNumber.has(idNumber)) return false;
    this.cardHolders.set(cardNo, idNumber);
    return true;
  }

  cardHolder(cardNo: string): string | undefined {
    return this.cardHolders.get(cardNo);
  }

  /** 'changed' only when the colour really moved, so callers notify only on real changes. */
  setColour(idNumber: string, colour: Colour): 'not-found' | 'unchanged' | 'changed' {
    const person = this.byIdNumber.get(idNumber);
    if (!person) return 'not-found';
    if (person.colour === colour) return 'unchanged';
    person.colour = colour;
    return 'changed';
  }

  /** Results may arrive out of sampling order; "latest" is by sampling time, later record wins ties. */
  addTest(idNumber: string, test: TestRecord): boolean {
    const person = this.byIdNumber.get(idNumber);
    if (!person) return false;
    person.tests.push(test);
    if (!person.latestTest || test.sampledAt >= person.latestTest.sampledAt)
      person.latestTest = test;
    if (
      test.result === 'negative' &&
      (person.latestNegativeSampledAt === null || test.sampledAt > person.latestNegativeSampledAt)
    ) {
      person.latestNegativeSampledAt = test.sampledAt;
    }
    return true;
  }
}
