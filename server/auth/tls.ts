/**
 * Serving certificates: kubectl sends bearer tokens only over TLS, so the server creates a
 * self-signed CA and a serving certificate for its addresses on first start and keeps them in
 * the data directory. The kubeconfig carries the CA so clients verify the server.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

/** ServingCertificates are PEM texts: the CA certificate and the server's certificate and key. */
export interface ServingCertificates {
  caCert: string;
  cert: string;
  key: string;
}

function rsaKey(): { privatePem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  // Node generates the key natively; forge only signs, which is fast.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  return { privatePem, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function newCert(publicKey: forge.pki.PublicKey, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + years * 365 * 24 * 60 * 60 * 1000);
  return cert;
}

/** createServingCertificates makes a CA and a serving certificate for hosts (names or IPs). */
export function createServingCertificates(hosts: string[]): ServingCertificates {
  const ca = rsaKey();
  const caCert = newCert(ca.forgePublic, 10);
  const caName = [{ name: 'commonName', value: `nodeless-ca-${Math.floor(Date.now() / 1000)}` }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.forgeKey, forge.md.sha256.create());

  const server = rsaKey();
  const cert = newCert(server.forgePublic, 5);
  cert.setSubject([{ name: 'commonName', value: 'nodeless-apiserver' }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...new Set(hosts)].map((h) => (net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(ca.forgeKey, forge.md.sha256.create());
  return { caCert: forge.pki.certificateToPem(caCert), cert: forge.pki.certificateToPem(cert), key: server.privatePem };
}

/** loadOrCreateCertificates reads the certificates of a data directory, creating them on first start. */
export function loadOrCreateCertificates(dir: string, hosts: string[]): ServingCertificates {
  const files = { caCert: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
  if (Object.values(files).every((f) => fs.existsSync(f))) {
    const loaded = { caCert: fs.readFileSync(files.caCert, 'utf8'), cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') };
    if (coversHosts(loaded.cert, hosts)) return loaded;
  }
  const made = createServingCertificates(hosts);
  fs.writeFileSync(files.caCert, made.caCert, { mode: 0o644 });
  fs.writeFileSync(files.cert, made.cert, { mode: 0o644 });
  fs.writeFileSync(files.key, made.key, { mode: 0o600 });
  return made;
}

function coversHosts(pem: string, hosts: string[]): boolean {
  try {
    const cert = forge.pki.certificateFromPem(pem);
    if (cert.validity.notAfter.getTime() < Date.now() + 24 * 60 * 60 * 1000) return false;
    const ext = cert.getExtension('subjectAltName') as { altNames?: Array<{ ip?: string; value?: string }> } | undefined;
    const names = new Set((ext?.altNames ?? []).map((a) => a.ip ?? a.value));
    return hosts.every((h) => names.has(h));
  } catch {
    return false;
  }
}
