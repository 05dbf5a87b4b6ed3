import net from 'node:net';
import Fastify from 'fastify';
import { ConfigError, loadConfig } from '../config/config';
import { metricsPlugin } from './metrics';
import { runServer, serveMetrics } from './run-server';

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

  it('serves the API without metrics when METRICS_PORT is taken: one warning saying what to do, no stack', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const lines: Array<Record<string, unknown>> = [];
    const app = Fastify({
      logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
    });
    try {
      await app.register(metricsPlugin);
      const config = loadConfig({ METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
      await expect(serveMetrics(app, config)).resolves.toBeUndefined();
      const said = lines.filter((l) => String(l.msg).startsWith('metrics not served'));
      expect(said).toHaveLength(1);
      expect(said[0]!.level).toBe(40);
      expect(said[0]!.msg).toMatch(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .*METRICS_PORT .* 0`),
      );
      expect(said[0]).not.toHaveProperty('err');
    } finally {
      await app.close();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
