/**
 * A collector behind TLS with a private CA that also asks for a client certificate (mutual TLS), as
 * OTEL_EXPORTER_OTLP_CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY configure it. Certificates are made
 * with openssl for this test; the collector is a real https server that checks them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { startChildApp } from '../support/child-app';

function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=collector test CA');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', 'san.ext');
  }
}

describe('OTLP export to a collector behind (mutual) TLS, configured by OTEL_EXPORTER_OTLP_* variables', function () {
  this.timeout(60_000);
  let dir: string;
  let collector: https.Server;
  const received: Array<{ path: string; clientCertificate: string | undefined; body: string }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otlp-tls-'));
    makeCertificates(dir);
    const file = (name: string) => readFileSync(join(dir, name));
    collector = https.createServer({ key: file('server.key'), cert: file('server.pem'), ca: file('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        received.push({ path: req.url ?? '', clientCertificate: String(peer?.subject?.CN), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
  });
  after(() => {
    collector?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the private CA, presents the client certificate, and delivers the spans', async () => {
    const app = await startChildApp({
      entry: 'express5/app.cjs',
      env: {
        SENTRY_DSN: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: join(dir, 'client.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_KEY: join(dir, 'client.key'),
      },
    });
    try {
      assert.equal((await app.fetch('/health')).status, 200);
      for (let waited = 0; received.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await app.stop('SIGTERM');
    }
    assert.ok(received.length > 0, `nothing arrived at the collector:\n${app.output()}`);
    assert.equal(received[0].path, '/v1/traces');
    assert.equal(received[0].clientCertificate, 'client');
    assert.match(received[0].body, /"resourceSpans"/);
    assert.doesNotMatch(app.output(), /export of \d+ span\(s\) to otlp failed/);
  });
});
