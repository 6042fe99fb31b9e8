import { newAccessKeyFile } from '@app/access-token';
import { newKeySet } from '@app/ride-code';
import {
  ConfigError,
  DEV_DEFAULTS,
  loadConfig,
  productionKeyFileRefusals,
  productionRefusals,
} from './config';

describe('gateway config: HEAP_GROWTH_PERCENT', () => {
  it('lets the old generation grow to 1.5 times the live heap unless told otherwise', () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(50);
  });

  it('takes 0 for V8 own heuristics, and up to 300', () => {
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '300' }).heapGrowthPercent).toBe(300);
  });

  it.each(['-1', '301', '1.5', 'lots'])('refuses %s at boot', (value) => {
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: value })).toThrow(ConfigError);
  });
});

describe('gateway config: production refuses development defaults by name', () => {
  /** What a real deployment sets: none of it a development default. */
  const production = {
    NODE_ENV: 'production',
    AUTHORITY_API_KEY: 'a-real-authority-key-0123456789',
    ID_HASH_KEY: 'a-real-id-hash-key-0123456789',
    ACCESS_ISSUER: 'https://idp.metro.example',
    RIDE_CODE_KEYS_FILE: '/etc/gateway/ride-code-keys.json',
    ACCESS_KEYS_FILE: '/etc/gateway/idp-public-keys.json',
  };

  it('starts with real secrets, issuer and key files', () => {
    expect(loadConfig(production)).toMatchObject({ production: true });
    expect(productionRefusals(production)).toEqual([]);
  });

  it('names every default left unset, in one error', () => {
    const refusals = productionRefusals({ NODE_ENV: 'production' });
    for (const name of [
      'AUTHORITY_API_KEY',
      'ID_HASH_KEY',
      'ACCESS_ISSUER',
      'RIDE_CODE_KEYS_FILE',
      'ACCESS_KEYS_FILE',
    ])
      expect(refusals.join('\n')).toMatch(new RegExp(`^${name} `, 'm'));
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });

  it.each([
    ['AUTHORITY_API_KEY', DEV_DEFAULTS.AUTHORITY_API_KEY],
    ['AUTHORITY_API_KEY', DEV_DEFAULTS.ID_HASH_KEY],
    ['AUTHORITY_API_KEY', 'dev-authority-admin-key'],
    ['ID_HASH_KEY', DEV_DEFAULTS.ID_HASH_KEY],
    ['ID_HASH_KEY_PREVIOUS', DEV_DEFAULTS.ID_HASH_KEY],
    ['ACCESS_ISSUER', DEV_DEFAULTS.ACCESS_ISSUER],
    ['RIDE_CODE_KEYS_FILE', DEV_DEFAULTS.RIDE_CODE_KEYS_FILE],
    ['RIDE_CODE_KEYS_FILE', `./${DEV_DEFAULTS.RIDE_CODE_KEYS_FILE}`],
    ['ACCESS_KEYS_FILE', DEV_DEFAULTS.ACCESS_KEYS_FILE],
  ])('refuses %s set explicitly to the development value %s', (name, value) => {
    const env = { ...production, [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name} .*development`));
    // Outside production the same value is the development default, and it starts.
    expect(() => loadConfig({ ...env, NODE_ENV: 'development' })).not.toThrow();
  });

  it.each(['AUTHORITY_API_KEY', 'ID_HASH_KEY', 'ID_HASH_KEY_PREVIOUS'])(
    'refuses a short %s',
    (name) => {
      expect(() => loadConfig({ ...production, [name]: 'short-secret' })).toThrow(
        new RegExp(`${name} must be a secret of at least 16`),
      );
    },
  );

  it('refuses the key files npm run keys makes for development, whatever their path', async () => {
    const ride = await newKeySet('dev');
    const access = await newAccessKeyFile('dev');
    const refusals = productionKeyFileRefusals(
      { file: '/etc/gateway/ride.json', content: ride },
      { file: '/etc/gateway/idp.json', content: access },
    );
    expect(refusals).toEqual([
      expect.stringMatching(
        /^RIDE_CODE_KEYS_FILE \(\/etc\/gateway\/ride.json\) is a development key set/,
      ),
      expect.stringMatching(/^ACCESS_KEYS_FILE .* development identity provider/),
      expect.stringMatching(/^ACCESS_KEYS_FILE .* holds a private signing key/),
    ]);
    // Unmarked files (older development versions) and private keys without a marker too.
    const { environment: _r, ...unmarkedRide } = ride;
    const { environment: _a, ...unmarkedAccess } = access;
    expect(
      productionKeyFileRefusals(
        { file: 'r', content: unmarkedRide },
        { file: 'a', content: unmarkedAccess },
      ),
    ).toHaveLength(2);
  });

  it('accepts production ride-code keys and an identity provider public key file', async () => {
    const ride = await newKeySet('prod', 'production');
    const { keys } = await newAccessKeyFile('idp');
    const publicOnly = { keys: keys.map(({ d: _d, ...pub }) => pub) };
    expect(
      productionKeyFileRefusals({ file: 'r', content: ride }, { file: 'a', content: publicOnly }),
    ).toEqual([]);
  });
});

describe('gateway config: ACCESS_TOKEN_MAX_AGE_SECONDS', () => {
  it('is an hour unless told otherwise', () => {
    expect(loadConfig({}).accessTokenMaxAgeSeconds).toBe(3600);
    expect(loadConfig({ ACCESS_TOKEN_MAX_AGE_SECONDS: '600' }).accessTokenMaxAgeSeconds).toBe(600);
  });

  it.each(['0', '59', '43201', '1.5', 'forever'])('refuses %s at boot', (value) => {
    expect(() => loadConfig({ ACCESS_TOKEN_MAX_AGE_SECONDS: value })).toThrow(
      /ACCESS_TOKEN_MAX_AGE_SECONDS/,
    );
  });
});

describe('gateway config: NATS_URL', () => {
  it("takes a comma-separated list of a cluster's seed servers", () => {
    const list = 'nats://10.0.0.1:4222,nats://10.0.0.2:4222, tls://10.0.0.3:4222';
    expect(loadConfig({ NATS_URL: list }).natsUrl).toBe(list);
  });

  it.each([
    'http://10.0.0.1:4222',
    'nats://10.0.0.1:4222,http://10.0.0.2:4222',
    'nats://10.0.0.1:4222,',
    'nats://a b',
  ])('refuses %s at boot', (value) => {
    expect(() => loadConfig({ NATS_URL: value })).toThrow(ConfigError);
  });
});

describe('gateway config: NATS credentials and TLS', () => {
  it('takes a creds file, an NKey seed file and TLS files', () => {
    expect(loadConfig({}).natsSecurity).toEqual({ credsFile: null, nkeySeedFile: null, tls: null });
    expect(
      loadConfig({
        NATS_URL: 'tls://10.0.0.1:4222',
        NATS_NKEY_SEED_FILE: 'gw.nk',
        NATS_TLS_CA_FILE: 'ca.pem',
        NATS_TLS_CERT_FILE: 'c.pem',
        NATS_TLS_KEY_FILE: 'k.pem',
      }).natsSecurity,
    ).toEqual({
      credsFile: null,
      nkeySeedFile: 'gw.nk',
      tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' },
    });
    // A tls:// server is checked against the system's CAs when no CA file is named.
    expect(loadConfig({ NATS_URL: 'tls://10.0.0.1:4222' }).natsSecurity.tls).toEqual({
      caFile: null,
      certFile: null,
      keyFile: null,
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a creds file and a seed file',
      { NATS_CREDS_FILE: 'a.creds', NATS_NKEY_SEED_FILE: 'a.nk' },
      /not both/,
    ],
    [
      'a password in NATS_URL and a creds file',
      { NATS_URL: 'nats://gw:pw@10.0.0.1:4222', NATS_CREDS_FILE: 'a.creds' },
      /one way to authenticate/,
    ],
    ['a client certificate without its key', { NATS_TLS_CERT_FILE: 'c.pem' }, /go together/],
    ['a client key without its certificate', { NATS_TLS_KEY_FILE: 'k.pem' }, /go together/],
  ])('refuses %s at boot', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('gateway config: HEALTH_LAST_KNOWN_MAX', () => {
  it('keeps up to 200,000 last-known statuses unless told otherwise; 0 keeps none', () => {
    expect(loadConfig({}).healthLastKnownMax).toBe(200_000);
    expect(loadConfig({ HEALTH_LAST_KNOWN_MAX: '0' }).healthLastKnownMax).toBe(0);
    expect(() => loadConfig({ HEALTH_LAST_KNOWN_MAX: '-1' })).toThrow(ConfigError);
  });
});

describe('gateway config: ADMIN_PORT and ADMIN_HOST', () => {
  it('listens for metrics on 127.0.0.1:9464 unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ adminHost: '127.0.0.1', adminPort: 9464 });
    expect(loadConfig({ ADMIN_PORT: '0', ADMIN_HOST: '0.0.0.0' })).toMatchObject({
      adminHost: '0.0.0.0',
      adminPort: 0,
    });
  });

  it('refuses a port out of range, and the public API port itself', () => {
    expect(() => loadConfig({ ADMIN_PORT: '70000' })).toThrow(/ADMIN_PORT must be an integer/);
    expect(() => loadConfig({ ADMIN_PORT: 'x' })).toThrow(/ADMIN_PORT/);
    expect(() => loadConfig({ PORT: '8080', ADMIN_PORT: '8080' })).toThrow(
      /ADMIN_PORT must differ from PORT/,
    );
    expect(() => loadConfig({ PORT: '3000' })).not.toThrow();
  });
});

describe('gateway config: LOG_LEVEL', () => {
  it('is warn unless told otherwise: the per-tap info line costs a tenth of the CPU at saturation', () => {
    expect(loadConfig({}).logLevel).toBe('warn');
    expect(loadConfig({ LOG_LEVEL: 'info' }).logLevel).toBe('info');
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL must be one of/);
  });
});
