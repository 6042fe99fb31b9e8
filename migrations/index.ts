import { Init1700000000000 } from './1700000000000-Init';
import { Seed20221700000000001 } from './1700000000001-Seed2022';

/** Listed explicitly so ts-node, jest and compiled builds all load the same set. */
export const MIGRATIONS = [Init1700000000000, Seed20221700000000001];
