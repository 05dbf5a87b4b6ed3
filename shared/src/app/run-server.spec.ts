import net from 'node:net';
import Fastify from 'fastify';
import { ConfigError, loadConfig } from '../config/config';
import { runServer } from './run-server';

describe('runServer', () => {
  it('answers a port in use with what to do (PORT), not a stack trace, and cleans up', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const app = Fastify();
    let cleanedUp = false;
    try {
      const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1' });
      const started = runServer(app, config, {
        afterClose: async () => {
          cleanedUp = true;
        },
      });
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow(
        new RegExp(`port ${port} is already in use .*PORT=${port + 1} npm start`),
      );
      expect(cleanedUp).toBe(true);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
