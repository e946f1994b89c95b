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

/** ServingAuthority is the CA that signs serving certificates: its certificate and key as PEM. */
export interface ServingAuthority {
  caCert: string;
  caKey: string;
}

/** createAuthority makes a self-signed CA valid for 10 years. */
export function createAuthority(): ServingAuthority {
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
  return { caCert: forge.pki.certificateToPem(caCert), caKey: ca.privatePem };
}

/** issueServingCertificate signs a serving certificate for hosts (names or IPs) with the authority. */
export function issueServingCertificate(authority: ServingAuthority, hosts: string[]): ServingCertificates {
  const caCert = forge.pki.certificateFromPem(authority.caCert);
  const caKey = forge.pki.privateKeyFromPem(authority.caKey);
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
  cert.sign(caKey, forge.md.sha256.create());
  return { caCert: authority.caCert, cert: forge.pki.certificateToPem(cert), key: server.privatePem };
}

/** createServingCertificates makes a CA and a serving certificate for hosts (names or IPs). */
export function createServingCertificates(hosts: string[]): ServingCertificates {
  return issueServingCertificate(createAuthority(), hosts);
}

/**
 * loadOrCreateCertificates reads the certificates of a data directory, creating them on first
 * start. The CA is kept for the life of the directory, since every kubeconfig handed out trusts
 * it: when the serving certificate no longer covers the hosts (another --address) or is about to
 * expire, only the serving certificate is issued again. A directory from before the CA key was
 * kept (ca.crt without ca.key) cannot sign, so only then is a new CA made.
 */
export function loadOrCreateCertificates(dir: string, hosts: string[]): ServingCertificates {
  const files = { caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
  const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
  const caCert = read(files.caCert);
  const cert = read(files.cert);
  const key = read(files.key);
  if (caCert && cert && key && coversHosts(cert, hosts)) return { caCert, cert, key };
  const caKey = read(files.caKey);
  let authority: ServingAuthority | undefined = caCert && caKey ? { caCert, caKey } : undefined;
  if (authority && !usableAuthority(authority)) authority = undefined;
  if (!authority) {
    authority = createAuthority();
    fs.writeFileSync(files.caKey, authority.caKey, { mode: 0o600 });
    fs.writeFileSync(files.caCert, authority.caCert, { mode: 0o600 });
  }
  const made = issueServingCertificate(authority, hosts);
  fs.writeFileSync(files.cert, made.cert, { mode: 0o600 });
  fs.writeFileSync(files.key, made.key, { mode: 0o600 });
  return made;
}

// usableAuthority: the CA parses, still has a year to live and its key matches its certificate.
function usableAuthority(a: ServingAuthority): boolean {
  try {
    const cert = forge.pki.certificateFromPem(a.caCert);
    const key = forge.pki.privateKeyFromPem(a.caKey) as forge.pki.rsa.PrivateKey;
    const pub = cert.publicKey as forge.pki.rsa.PublicKey;
    if (cert.validity.notAfter.getTime() < Date.now() + 365 * 24 * 60 * 60 * 1000) return false;
    return pub.n.equals(key.n) && pub.e.equals(key.e);
  } catch {
    return false;
  }
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
