import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A local https server for tests that need one (an identity provider's JWKS: issuers are fetched
 * over https only). Its certificate, for 127.0.0.1 and localhost, is signed by a CA made for the
 * tests alone, whose private key was thrown away after signing; a hub under test trusts it
 * through AUTH_JWKS_CA_FILE=TEST_CA_FILE. Nothing outside the tests trusts that CA.
 */
export const TEST_CA_FILE = path.join(__dirname, 'tls', 'ca.pem');

export interface TestHttpsServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function startHttpsServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestHttpsServer> {
  const server = https.createServer(
    {
      key: fs.readFileSync(path.join(__dirname, 'tls', 'localhost.key')),
      cert: fs.readFileSync(path.join(__dirname, 'tls', 'localhost.pem')),
    },
    handler,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
