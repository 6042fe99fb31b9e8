import { AuthorityClient, GatewayClient } from '../../gate-sim/src/clients';
import { PATHS, runPaths } from '../../gate-sim/src/paths';
import { Summary } from '../../gate-sim/src/summary';
import { AUTHORITY_KEY, startStack, tokenFor, type TestStack } from '../support/stack';

/**
 * The demo's "credential paths" table, run against a real gateway: every path ends as its
 * script says (an open gate with a check-in where it should, a trace that finds the person).
 */
describe("the demo's credential paths", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(() => stack.close());

  it('every path is walked and every step ends as scripted', async () => {
    const gateway = new GatewayClient(stack.gw.url, { token: (c) => tokenFor(c) });
    const authority = new AuthorityClient(stack.authority.url, AUTHORITY_KEY);
    const summary = new Summary();
    const paths = await runPaths(
      { nc: stack.nc, gateway, authority },
      { riders: 1, summary, concurrency: 2 },
    );
    const json = paths.toJson();
    const unmet = PATHS.filter(
      (p) => json.byPath[p].checked === 0 || json.byPath[p].met !== json.byPath[p].checked,
    ).map((p) => ({ path: p, ...json.byPath[p] }));
    expect({ unmet, mismatches: summary.toJson().expectations.mismatches }).toEqual({
      unmet: [],
      mismatches: [],
    });
    expect(paths.toTable()).toContain('traced-across-paths');
  }, 120_000);
});
