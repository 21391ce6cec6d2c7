import assert from 'node:assert/strict';
import * as Sentry from '@sentry/node';
import { createStackParser, type Contexts, type Event, type Integration, type StreamedSpanJSON } from '@sentry/core';
import {
  cloudResourceContext, MEMORY_READING_MAX_AGE_MS, nodeContextIntegration, withCurrentMemory, type NodeContextOptions,
} from '../../../src/sentry/node/context';
import { linuxDistro } from '../../../src/sentry/node/os-context';
import { nodeStackLineParser, ServerRuntimeClient } from '@sentry/core/server';

/** A real client that never sends anything (no DSN, a transport that drops). */
const client = new ServerRuntimeClient({
  dsn: undefined,
  integrations: [],
  transport: () => ({ send: async () => ({}), flush: async () => true }),
  stackParser: createStackParser(nodeStackLineParser()),
});

async function contextsFrom(integration: Integration, event: Event = {}): Promise<Contexts> {
  const processed = await integration.processEvent?.(event, {}, client);
  return processed?.contexts ?? {};
}

/** Deep copy without what legitimately differs between two instances or two calls: memory readings, start and boot times. */
function withoutVolatile(contexts: Contexts): Record<string, Record<string, unknown>> {
  const copy = structuredClone(contexts) as Record<string, Record<string, unknown>>;
  for (const key of ['app_memory', 'free_memory', 'app_start_time']) delete copy.app?.[key];
  for (const key of ['free_memory', 'boot_time']) delete copy.device?.[key];
  return copy;
}

const timeApart = (a: unknown, b: unknown): number => Math.abs(Date.parse(a as string) - Date.parse(b as string));

function segmentSpan(): StreamedSpanJSON {
  return { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), name: 'GET /', start_timestamp: 1, status: 'ok', is_segment: true, attributes: {} };
}

describe('nodeContextIntegration (port of @sentry/node\'s Context, memory read at most once per maxMemoryAgeMs)', () => {
  it('is named Context, as Sentry\'s, and reads memory at most once a second by default', () => {
    assert.equal(nodeContextIntegration().name, 'Context');
    assert.equal(MEMORY_READING_MAX_AGE_MS, 1000);
  });

  it('adds the same contexts as Sentry\'s own integration, with current memory figures, the event\'s own winning', async () => {
    const event = (): Event => ({ contexts: { app: { app_name: 'salon' }, os: { name: 'mine' }, trace: { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) } } });
    const sentry = await contextsFrom(Sentry.nodeContextIntegration(), event());
    const ours = await contextsFrom(nodeContextIntegration(), event());

    assert.deepEqual(withoutVolatile(ours), withoutVolatile(sentry));
    assert.deepEqual(Object.keys(ours).sort(), ['app', 'cloud_resource', 'culture', 'device', 'os', 'trace']);
    assert.equal(ours.app?.app_name, 'salon', 'the event\'s own context wins');
    assert.equal(ours.os?.name, 'mine', 'the event\'s own context wins');
    assert.ok(timeApart(ours.app?.app_start_time, sentry.app?.app_start_time) < 100, 'same process start time');
    assert.ok(timeApart(ours.device?.boot_time, sentry.device?.boot_time) < 2000, 'same boot time');
    const memory = ours.app?.app_memory as number;
    assert.ok(memory > 0 && Math.abs(memory - process.memoryUsage.rss()) < 256 * 1024 * 1024, `app_memory is the process RSS: ${memory}`);
    assert.equal(typeof ours.app?.free_memory, typeof sentry.app?.free_memory);
    assert.equal(typeof ours.device?.free_memory, 'number');
    assert.ok((await contextsFrom(nodeContextIntegration())).os?.name, 'the os context is there');
  });

  const OPTION_SETS: NodeContextOptions[] = [
    { app: false },
    { os: false, culture: false },
    { device: false },
    { device: { cpu: true } },
    { device: { memory: true } },
    { device: {} },
    { app: false, os: false, device: false, culture: false, cloudResource: false },
  ];
  for (const options of OPTION_SETS) {
    it(`matches Sentry's contexts with options ${JSON.stringify(options)}`, async () => {
      const sentry = await contextsFrom(Sentry.nodeContextIntegration(options));
      const ours = await contextsFrom(nodeContextIntegration(options));
      assert.deepEqual(withoutVolatile(ours), withoutVolatile(sentry));
      assert.deepEqual(Object.keys(ours.app ?? {}).sort(), Object.keys(sentry.app ?? {}).sort());
      assert.deepEqual(Object.keys(ours.device ?? {}).sort(), Object.keys(sentry.device ?? {}).sort());
    });
  }

  it('sets the same attributes on segment spans as Sentry\'s, keeping the span\'s own', async () => {
    const sentryIntegration = Sentry.nodeContextIntegration();
    const ourIntegration = nodeContextIntegration();
    // The OS attributes join once the OS context is read, which an event waits for.
    await contextsFrom(sentryIntegration);
    await contextsFrom(ourIntegration);
    const sentry = segmentSpan();
    const ours = segmentSpan();
    ours.attributes['os.name'] = sentry.attributes['os.name'] = 'mine';
    sentryIntegration.processSegmentSpan?.(sentry, client);
    ourIntegration.processSegmentSpan?.(ours, client);

    const volatile = ['app.memory', 'app.free_memory', 'device.free_memory', 'app.start_time', 'device.boot_time'];
    const stable = (span: StreamedSpanJSON) => Object.fromEntries(Object.entries(span.attributes).filter(([key]) => !volatile.includes(key)));
    assert.deepEqual(stable(ours), stable(sentry));
    assert.deepEqual(Object.keys(ours.attributes).sort(), Object.keys(sentry.attributes).sort());
    assert.equal(ours.attributes['os.name'], 'mine');
    assert.equal(typeof ours.attributes['app.memory'], 'number');
  });

  it('leaves Intl alone until the first event or segment span needs the culture context (its date data is ~8 MB of RSS)', async () => {
    const original = Intl.DateTimeFormat;
    let formatters = 0;
    Intl.DateTimeFormat = new Proxy(original, {
      construct: (target, args) => {
        formatters++;
        return Reflect.construct(target, args);
      },
      apply: (target, self, args) => {
        formatters++;
        return Reflect.apply(target, self, args);
      },
    });
    try {
      const forEvents = nodeContextIntegration();
      const forSpans = nodeContextIntegration();
      assert.equal(formatters, 0, 'nothing formatted at set-up');
      const contexts = await contextsFrom(forEvents);
      assert.ok(formatters > 0, 'the first event reads the culture');
      assert.deepEqual(contexts.culture, (await contextsFrom(Sentry.nodeContextIntegration())).culture);
      const afterEvents = formatters;
      await contextsFrom(forEvents);
      assert.equal(formatters, afterEvents, 'read once, then kept');
      const span = segmentSpan();
      forSpans.processSegmentSpan?.(span, client);
      assert.equal(span.attributes['culture.timezone'], contexts.culture?.timezone, 'the first segment span reads it too');
    } finally {
      Intl.DateTimeFormat = original;
    }
  });

  it('gives every event its own context objects (nothing shared between events)', async () => {
    const integration = nodeContextIntegration();
    const first = await contextsFrom(integration);
    const second = await contextsFrom(integration);
    for (const name of ['app', 'os', 'device', 'culture', 'cloud_resource']) assert.notEqual(first[name], second[name], name);
    first.app!.app_name = 'changed by a processor';
    assert.equal((await contextsFrom(integration)).app?.app_name, undefined);
    assert.equal(typeof second.app?.app_memory, 'number');
  });

  it('reuses a memory reading younger than the limit, and reads again once it is older', async () => {
    // Counts the reads (RSS itself may not move between two events, so its value cannot tell).
    const readRss = process.memoryUsage.rss;
    let reads = 0;
    process.memoryUsage.rss = () => {
      reads++;
      return readRss();
    };
    try {
      const hourly = nodeContextIntegration({ maxMemoryAgeMs: 3_600_000 });
      const first = await contextsFrom(hourly);
      const second = await contextsFrom(hourly);
      hourly.processSegmentSpan?.(segmentSpan(), client);
      assert.equal(reads, 1, 'within the hour: one reading (made at setup) for both events and the span');
      assert.equal(second.app?.app_memory, first.app?.app_memory);

      reads = 0;
      const always = nodeContextIntegration({ maxMemoryAgeMs: 0 });
      await contextsFrom(always);
      await contextsFrom(always);
      assert.equal(reads, 3, 'a limit of 0 reads at setup and for every event, as Sentry does');

      reads = 0;
      await contextsFrom(nodeContextIntegration({ app: false, device: { cpu: true } }));
      assert.equal(reads, 0, 'no memory figure asked for, none read');
    } finally {
      process.memoryUsage.rss = readRss;
    }
  });

  it('an event still goes out, and a span still ends, when reading memory fails', async () => {
    const integration = nodeContextIntegration({ maxMemoryAgeMs: 0 });
    const readRss = process.memoryUsage.rss;
    process.memoryUsage.rss = () => {
      throw new Error('no /proc');
    };
    try {
      const event: Event = { message: 'still sent' };
      assert.equal(await integration.processEvent?.(event, {}, client), event);
      assert.doesNotThrow(() => integration.processSegmentSpan?.(segmentSpan(), client));
    } finally {
      process.memoryUsage.rss = readRss;
    }
  });

  describe('cloud resource context (same detection as Sentry\'s)', () => {
    const CLOUD_VARIABLES = [
      'VERCEL', 'VERCEL_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'GCP_PROJECT', 'ALIYUN_REGION_ID', 'WEBSITE_SITE_NAME',
      'REGION_NAME', 'IBM_CLOUD_REGION', 'TENCENTCLOUD_REGION', 'TENCENTCLOUD_APPID', 'TENCENTCLOUD_ZONE', 'NETLIFY', 'FLY_REGION', 'DYNO',
    ];
    const CASES: Array<{ env: Record<string, string>; expected: Record<string, unknown> | undefined }> = [
      { env: {}, expected: undefined },
      { env: { VERCEL: '1', VERCEL_REGION: 'fra1' }, expected: { 'cloud.provider': 'vercel', 'cloud.region': 'fra1' } },
      { env: { AWS_REGION: 'eu-west-1', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' }, expected: { 'cloud.provider': 'aws', 'cloud.region': 'eu-west-1', 'cloud.platform': 'aws_lambda' } },
      { env: { AWS_REGION: 'eu-west-1', AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }, expected: { 'cloud.provider': 'aws', 'cloud.region': 'eu-west-1', 'cloud.platform': 'AWS_ECS_FARGATE' } },
      { env: { GCP_PROJECT: 'p' }, expected: { 'cloud.provider': 'gcp' } },
      { env: { ALIYUN_REGION_ID: 'cn' }, expected: { 'cloud.provider': 'alibaba_cloud', 'cloud.region': 'cn' } },
      { env: { WEBSITE_SITE_NAME: 'site' }, expected: undefined },
      { env: { WEBSITE_SITE_NAME: 'site', REGION_NAME: 'westeurope' }, expected: { 'cloud.provider': 'azure', 'cloud.region': 'westeurope' } },
      { env: { IBM_CLOUD_REGION: 'eu-de' }, expected: { 'cloud.provider': 'ibm_cloud', 'cloud.region': 'eu-de' } },
      { env: { TENCENTCLOUD_REGION: 'ap', TENCENTCLOUD_APPID: '7', TENCENTCLOUD_ZONE: 'ap-1' }, expected: { 'cloud.provider': 'tencent_cloud', 'cloud.region': 'ap', 'cloud.account.id': '7', 'cloud.availability_zone': 'ap-1' } },
      { env: { NETLIFY: 'true' }, expected: { 'cloud.provider': 'netlify' } },
      { env: { FLY_REGION: 'ams' }, expected: { 'cloud.provider': 'fly.io', 'cloud.region': 'ams' } },
      { env: { DYNO: 'web.1' }, expected: { 'cloud.provider': 'heroku' } },
      { env: { DYNO: 'web.1', VERCEL: '1' }, expected: { 'cloud.provider': 'vercel', 'cloud.region': undefined } },
    ];
    let saved: Array<[string, string | undefined]>;
    beforeEach(() => {
      saved = CLOUD_VARIABLES.map((name) => [name, process.env[name]]);
      for (const name of CLOUD_VARIABLES) delete process.env[name];
    });
    afterEach(() => {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    for (const { env, expected } of CASES) {
      it(`${JSON.stringify(env)} → ${JSON.stringify(expected)}`, async () => {
        assert.deepEqual(cloudResourceContext(env), expected);
        Object.assign(process.env, env);
        const options = { app: false, os: false, device: false, culture: false };
        const sentry = await contextsFrom(Sentry.nodeContextIntegration(options));
        const ours = await contextsFrom(nodeContextIntegration(options));
        assert.deepEqual(ours.cloud_resource, sentry.cloud_resource);
        assert.deepEqual(ours.cloud_resource, { ...expected });
      });
    }
  });

  describe('linux distribution from /etc', () => {
    const linux = { kernel_version: '6.1.0', name: 'Linux' };
    const CASES: Array<{ files: Record<string, string>; expected: Record<string, unknown> }> = [
      { files: {}, expected: linux },
      { files: { 'lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n' }, expected: { ...linux, name: 'Ubuntu Linux', version: '22.04' } },
      { files: { 'alpine-release': '3.19.1\n' }, expected: { ...linux, name: 'Alpine Linux', version: '3.19.1\n' } },
      { files: { 'debian_version': '12.5\n' }, expected: { ...linux, name: 'Debian', version: '12.5\n' } },
      { files: { 'redhat-release': 'CentOS release 6.5 (Final)' }, expected: { ...linux, name: 'Centos', version: '6.5' } },
      { files: { 'fedora-release': 'Fedora release 39 (Thirty Nine)' }, expected: { ...linux, name: 'Fedora', version: '39' } },
      { files: { 'gentoo-release': 'Gentoo Base System release 2.14' }, expected: { ...linux, name: 'Gentoo Linux', version: undefined } },
      // The first release file in Sentry's order wins.
      { files: { 'debian_version': '12\n', 'lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\n' }, expected: { ...linux, name: 'Ubuntu Linux', version: '24.04' } },
    ];
    for (const { files, expected } of CASES) {
      it(`${JSON.stringify(Object.keys(files))} → ${expected.name} ${JSON.stringify(expected.version)}`, async () => {
        const read = async (path: string) => files[path.replace('/etc/', '')] ?? assert.fail(`read ${path}`);
        assert.deepEqual(await linuxDistro(linux, ['hostname', ...Object.keys(files)], read), expected);
      });
    }
  });

  it('replaces only the memory figures that are there, without touching the contexts it was given', () => {
    const reading = { at: 0, rss: 11, available: 22, free: 33 };
    const base: Contexts = { app: { app_start_time: 't', app_memory: 1, free_memory: 2 }, device: { arch: 'x64', free_memory: 3 }, os: { name: 'Linux' } };
    assert.deepEqual(withCurrentMemory(base, () => reading), {
      app: { app_start_time: 't', app_memory: 11, free_memory: 22 }, device: { arch: 'x64', free_memory: 33 }, os: { name: 'Linux' },
    });
    assert.equal(base.app?.app_memory, 1, 'the base is left as it was');
    assert.deepEqual(withCurrentMemory({ app: { app_memory: 1, free_memory: 2 } }, () => ({ ...reading, available: undefined })), { app: { app_memory: 11, free_memory: 2 } });
    assert.deepEqual(withCurrentMemory({ os: { name: 'Linux' } }, () => assert.fail('nothing to read')), { os: { name: 'Linux' } });
  });
});
