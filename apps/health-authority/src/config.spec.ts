import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3100,
      host: '127.0.0.1',
      natsUrl: 'nats://127.0.0.1:4222',
      apiKey: 'dev-authority-key',
      logLevel: 'info',
      redirectUris: [
        'http://127.0.0.1:3000/console/rider.html',
        'http://localhost:3000/console/rider.html',
      ],
    });
  });

  it('reads registered redirect URIs and refuses one that is not http(s) or has a fragment', () => {
    expect(
      loadConfig({ AUTHORITY_REDIRECT_URIS: 'https://app.example/cb, http://127.0.0.1/r' })
        .redirectUris,
    ).toEqual(['https://app.example/cb', 'http://127.0.0.1/r']);
    expect(() => loadConfig({ AUTHORITY_REDIRECT_URIS: 'javascript:alert(1)' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ AUTHORITY_REDIRECT_URIS: 'https://a.example/cb#x' })).toThrow(
      ConfigError,
    );
  });

  it('reads the environment', () => {
    const config = loadConfig({
      AUTHORITY_PORT: '0',
      AUTHORITY_HOST: '0.0.0.0',
      NATS_URL: 'nats://a:1,nats://b:2',
      AUTHORITY_API_KEY: 'k'.repeat(32),
    });
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      natsUrl: 'nats://a:1,nats://b:2',
      apiKey: 'k'.repeat(32),
    });
  });

  it.each([
    [{ AUTHORITY_PORT: 'abc' }, 'AUTHORITY_PORT'],
    [{ AUTHORITY_PORT: '70000' }, 'AUTHORITY_PORT'],
    [{ NATS_URL: 'http://x:4222' }, 'NATS_URL'],
    [{ NATS_URL: 'not a url' }, 'NATS_URL'],
    [{ AUTHORITY_API_KEY: 'short' }, 'AUTHORITY_API_KEY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('fails fast on %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});

describe('loadConfig in production', () => {
  it('refuses the development API key, set or left to its default, by name', () => {
    for (const env of [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', AUTHORITY_API_KEY: 'dev-authority-key' },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/AUTHORITY_API_KEY .*development default/);
    }
  });

  it('starts with a real key', () => {
    const env = { NODE_ENV: 'production', AUTHORITY_API_KEY: 'k'.repeat(32) };
    expect(loadConfig(env).apiKey).toBe('k'.repeat(32));
  });
});
