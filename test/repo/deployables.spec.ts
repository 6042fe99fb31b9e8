import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig as loadAuthorityConfig } from '../../apps/health-authority/src/config';
import { loadConfig as loadGatewayConfig } from '../../apps/gateway/src/config';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
type Env = Record<string, string | undefined>;

/**
 * The variables a config accepts: every name it reads while loading, traced from the real
 * loader (so a new setting is found without a list to keep), in development and production.
 */
function accepted(load: (env: Env) => unknown): Set<string> {
  const names = new Set<string>();
  for (const base of [{}, { NODE_ENV: 'production' }]) {
    const env = new Proxy<Env>(
      { ...base },
      {
        get: (t, k) => (typeof k === 'string' && names.add(k), Reflect.get(t, k)),
        has: (t, k) => (typeof k === 'string' && names.add(k), Reflect.has(t, k)),
      },
    );
    try {
      load(env);
    } catch {
      // Production refuses the missing secrets; the names were read before it did.
    }
  }
  return new Set([...names].filter((n) => /^[A-Z][A-Z0-9_]*$/.test(n)));
}

const GATEWAY = accepted(loadGatewayConfig);
const AUTHORITY = accepted(loadAuthorityConfig);
const ALL = new Set([...GATEWAY, ...AUTHORITY]);
const unknown = (names: Iterable<string>, allowed: Set<string>) =>
  [...names].filter((n) => !allowed.has(n)).sort();

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

interface Container {
  name: string;
  command?: string[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet: { path: string } };
  livenessProbe?: { httpGet: { path: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface K8sDoc {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        containers: Container[];
        terminationGracePeriodSeconds?: number;
        volumes?: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
}

describe('the settings the deployables set are ones the config accepts', () => {
  it('the tracer sees the settings of both programs', () => {
    // The control: a tracer that saw nothing would pass every check below.
    expect([...GATEWAY]).toEqual(expect.arrayContaining(['DATABASE_URL', 'SHUTDOWN_GRACE_MS']));
    expect([...AUTHORITY]).toEqual(expect.arrayContaining(['AUTHORITY_PORT', 'AUTHORITY_HOST']));
  });

  it('the Dockerfile', () => {
    const set = [...read('Dockerfile').matchAll(/^ENV\s+([A-Z][A-Z0-9_]*)[=\s]/gm)].map(
      (m) => m[1],
    );
    expect(set.length).toBeGreaterThan(0);
    expect(unknown(set, ALL)).toEqual([]);
  });

  describe('compose.yaml', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const ours = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

    it('every variable our services set, per program', () => {
      expect(ours.length).toBeGreaterThanOrEqual(5);
      for (const [name, s] of ours) {
        const authority = (s.command ?? []).join(' ').includes('health-authority');
        const bad = unknown(Object.keys(s.environment ?? {}), authority ? AUTHORITY : GATEWAY);
        expect({ name, bad }).toEqual({ name, bad: [] });
      }
    });

    it('PostgreSQL, NATS with JetStream, the authority, two gateways after a migration step', () => {
      const s = compose.services;
      expect(s.postgres.image).toMatch(/^postgres:/);
      expect(s.nats.command).toContain('-js');
      expect(s.authority.command).toContain('dist/apps/health-authority/src/main.js');
      const gateways = ours.filter(([, g]) => g.command?.includes('dist/apps/gateway/src/main.js'));
      expect(gateways).toHaveLength(2);
      for (const [, g] of gateways) {
        expect(g.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
        expect(g.environment?.RUN_MIGRATIONS).toBe('false');
        const graceMs = Number(g.environment?.SHUTDOWN_GRACE_MS ?? 10_000);
        expect(parseInt(g.stop_grace_period ?? '10s', 10) * 1000).toBeGreaterThan(graceMs);
      }
      expect(s.migrate.command).toContain('migration:run');
    });
  });

  describe('deploy/k8s', () => {
    const docs = readdirSync(join(ROOT, 'deploy', 'k8s'))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .flatMap((f) => parseAllDocuments(read(`deploy/k8s/${f}`)).map((d) => d.toJS() as K8sDoc));
    const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
    const named = (kind: string, name: string) => {
      const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
      if (!doc) throw new Error(`no ${kind} ${name}`);
      return doc;
    };
    const deployment = named('Deployment', 'gateway');
    const gateway = deployment.spec!.template!.spec.containers[0];

    it('every variable a container gets, from env, a ConfigMap or a Secret', () => {
      for (const doc of [...byKind('Deployment'), ...byKind('Job')]) {
        for (const c of doc.spec!.template!.spec.containers) {
          const names = (c.env ?? []).map((e) => e.name);
          for (const from of c.envFrom ?? []) {
            const src = from.configMapRef
              ? named('ConfigMap', from.configMapRef.name).data
              : named('Secret', from.secretRef!.name).stringData;
            names.push(...Object.keys(src ?? {}));
          }
          expect({ container: c.name, bad: unknown(names, GATEWAY) }).toEqual({
            container: c.name,
            bad: [],
          });
        }
      }
    });

    it('readiness and liveness probes on the gateway', () => {
      expect(gateway.readinessProbe?.httpGet.path).toBe('/health');
      expect(gateway.livenessProbe?.httpGet.path).toBe('/health/live');
    });

    it('terminationGracePeriodSeconds is longer than the drain', () => {
      const graceMs = Number(named('ConfigMap', 'gateway-config').data?.SHUTDOWN_GRACE_MS);
      expect(graceMs).toBeGreaterThan(0);
      const podGraceS = deployment.spec!.template!.spec.terminationGracePeriodSeconds ?? 30;
      expect(podGraceS * 1000).toBeGreaterThan(graceMs + 5_000);
    });

    it('a migration Job, and gateways that do not migrate', () => {
      const job = named('Job', 'gateway-migrate');
      expect(job.spec!.template!.spec.containers[0].command).toContain('migration:run');
      expect(named('ConfigMap', 'gateway-config').data?.RUN_MIGRATIONS).toBe('false');
    });

    it('keys come from Secrets: the key files are mounted Secrets, secret values never in the ConfigMap', () => {
      const config = named('ConfigMap', 'gateway-config').data ?? {};
      for (const secret of ['ID_HASH_KEY', 'AUTHORITY_API_KEY', 'ID_HASH_KEY_PREVIOUS'])
        expect(Object.keys(config)).not.toContain(secret);
      expect(Object.keys(named('Secret', 'gateway-secrets').stringData ?? {})).toEqual(
        expect.arrayContaining(['ID_HASH_KEY', 'AUTHORITY_API_KEY']),
      );
      const volumes = deployment.spec!.template!.spec.volumes ?? [];
      for (const file of [config.RIDE_CODE_KEYS_FILE, config.ACCESS_KEYS_FILE]) {
        const mount = gateway.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
        expect({ file, secret: volumes.find((v) => v.name === mount?.name)?.secret }).toEqual({
          file,
          secret: expect.objectContaining({ secretName: expect.any(String) }),
        });
      }
    });
  });
});

describe('every setting the config accepts is documented', () => {
  it('.env.example lists each one, and nothing else', () => {
    const listed = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(
      (m) => m[1],
    );
    expect(unknown(ALL, new Set(listed))).toEqual([]);
    expect(unknown(listed, ALL)).toEqual([]);
  });

  it("the README's configuration table lists each gateway setting", () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('\n## Configuration'));
    const table = section.slice(0, section.indexOf('\n## ', 4));
    const documented = new Set(
      table
        .split('\n')
        .filter((l) => l.startsWith('|'))
        .flatMap((l) =>
          [...(l.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]),
        ),
    );
    // NODE_ENV is described in the paragraph above the table.
    expect(unknown(GATEWAY, new Set([...documented, 'NODE_ENV']))).toEqual([]);
  });

  it("the authority stand-in's README lists each of its settings", () => {
    const doc = read('apps/health-authority/README.md');
    const missing = [...AUTHORITY].filter((n) => n !== 'NODE_ENV' && !doc.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
});
