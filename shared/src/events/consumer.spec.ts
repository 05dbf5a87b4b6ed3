import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import { createEventProcessor, defaultRetryDelay, subjectMatches } from './consumer';
import { EventCatalog } from './event-catalog';

describe('subjectMatches', () => {
  it('matches a literal subject exactly', () => {
    expect(
      subjectMatches('samverkan.directory.unit.created', 'samverkan.directory.unit.created'),
    ).toBe(true);
    expect(
      subjectMatches('samverkan.directory.unit.created', 'samverkan.directory.unit.updated'),
    ).toBe(false);
    expect(subjectMatches('samverkan.directory.unit', 'samverkan.directory.unit.created')).toBe(
      false,
    );
    expect(subjectMatches('samverkan.directory.unit.created', 'samverkan.directory.unit')).toBe(
      false,
    );
    expect(
      subjectMatches('samverkan.directory.unit.created', 'samverkan.directory.unit.created.extra'),
    ).toBe(false);
  });

  it('lets * stand for exactly one token', () => {
    expect(subjectMatches('samverkan.*.unit.created', 'samverkan.directory.unit.created')).toBe(
      true,
    );
    expect(
      subjectMatches('samverkan.directory.*.created', 'samverkan.directory.unit.created'),
    ).toBe(true);
    expect(
      subjectMatches('samverkan.directory.unit.*', 'samverkan.directory.unit.key_rotated'),
    ).toBe(true);
    expect(subjectMatches('samverkan.directory.*', 'samverkan.directory.unit.created')).toBe(false);
    expect(subjectMatches('samverkan.*.created', 'samverkan.directory.unit.created')).toBe(false);
    expect(subjectMatches('samverkan.directory.unit.*', 'samverkan.directory.unit')).toBe(false);
    expect(subjectMatches('*', 'samverkan')).toBe(true);
    expect(subjectMatches('*', 'samverkan.directory')).toBe(false);
    expect(subjectMatches('*.*', 'a.b')).toBe(true);
  });

  it('lets > stand for one or more trailing tokens', () => {
    expect(subjectMatches('samverkan.directory.>', 'samverkan.directory.unit.created')).toBe(true);
    expect(subjectMatches('samverkan.directory.>', 'samverkan.directory.unit')).toBe(true);
    expect(subjectMatches('samverkan.directory.>', 'samverkan.directory')).toBe(false);
    expect(subjectMatches('samverkan.directory.>', 'samverkan.referrals.referral.sent')).toBe(
      false,
    );
    expect(subjectMatches('samverkan.*.unit.>', 'samverkan.directory.unit.member_added')).toBe(
      true,
    );
    expect(subjectMatches('samverkan.*.unit.>', 'samverkan.directory.organisation.created')).toBe(
      false,
    );
    expect(subjectMatches('>', 'samverkan.directory.unit.created')).toBe(true);
    expect(subjectMatches('>', 'samverkan')).toBe(true);
  });
});

describe('defaultRetryDelay', () => {
  it('doubles from 500 ms and stops at a minute', () => {
    expect([1, 2, 3, 4].map(defaultRetryDelay)).toEqual([500, 1000, 2000, 4000]);
    expect(defaultRetryDelay(0)).toBe(500);
    expect(defaultRetryDelay(8)).toBe(60_000);
    expect(defaultRetryDelay(50)).toBe(60_000);
  });
});

describe('createEventProcessor without a working database', () => {
  const catalog = new EventCatalog();
  catalog.addAsyncApi(
    {
      channels: {
        thing: {
          address: 'samverkan.test.thing.happened',
          messages: {
            Happened: {
              payload: {
                type: 'object',
                additionalProperties: false,
                required: ['id', 'type', 'source', 'time', 'data'],
                properties: {
                  id: { type: 'string', format: 'uuid' },
                  type: { const: 'samverkan.test.thing.happened' },
                  source: { type: 'string' },
                  time: { type: 'string', format: 'date-time' },
                  data: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
                },
              },
            },
          },
        },
      },
    },
    'test',
  );
  const valid = {
    id: '7d7a0d0c-5f6b-4b0e-9a44-2a1f0d3c2b1a',
    type: 'samverkan.test.thing.happened',
    source: 'test',
    time: '2025-01-01T00:00:00.000Z',
    data: { n: 1 },
  };
  const log = {
    error: jest.fn(),
    warn: jest.fn(),
    debug: jest.fn(),
  } as unknown as FastifyBaseLogger;

  function fakeDataSource(transactionError: Error) {
    const deadLetters: Array<Record<string, unknown>> = [];
    const dataSource = {
      getRepository: () => ({
        insert: async (row: Record<string, unknown>) => void deadLetters.push(row),
      }),
      transaction: async () => {
        throw transactionError;
      },
    } as unknown as DataSource;
    return { dataSource, deadLetters };
  }

  it('dead-letters an envelope that does not match its schema without running the handler', async () => {
    const { dataSource, deadLetters } = fakeDataSource(new Error('must not be reached'));
    const handle = jest.fn();
    const processor = createEventProcessor(
      { name: 'c', filter: 'samverkan.test.>', handle },
      { dataSource, catalog, log },
    );
    expect(
      await processor.process({ ...valid, data: { n: 'one' } }, 1, 'samverkan.test.thing.happened'),
    ).toBe('dead');
    expect(await processor.process('not json', 1, 'samverkan.test.thing.happened')).toBe('dead');
    expect(
      await processor.process(
        { ...valid, type: 'samverkan.test.unknown' },
        1,
        'samverkan.test.unknown',
      ),
    ).toBe('dead');
    expect(handle).not.toHaveBeenCalled();
    expect(deadLetters).toHaveLength(3);
    expect(deadLetters[0]).toMatchObject({
      consumer: 'c',
      eventId: valid.id,
      subject: 'samverkan.test.thing.happened',
      deliveries: 1,
    });
    expect(deadLetters[1]).toMatchObject({ eventId: null, payload: 'not json' });
  });

  it('asks for a retry while deliveries remain, then dead-letters', async () => {
    const { dataSource, deadLetters } = fakeDataSource(new Error('handler failed'));
    const processor = createEventProcessor(
      {
        name: 'c',
        filter: 'samverkan.test.>',
        handle: jest.fn(),
        maxDeliver: 3,
        retryDelayMs: (n) => n * 10,
      },
      { dataSource, catalog, log },
    );
    expect(await processor.process(valid, 1, valid.type)).toBe('retry');
    expect(await processor.process(valid, 2, valid.type)).toBe('retry');
    expect(deadLetters).toHaveLength(0);
    expect(await processor.process(valid, 3, valid.type)).toBe('dead');
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ deliveries: 3, eventId: valid.id });
    expect(String(deadLetters[0]!.reason)).toMatch(/failed 3 times: handler failed/);
    expect(processor.retryDelay(2)).toBe(20);
  });

  it('settles what the handler does not want without a transaction, and handles the rest', async () => {
    const { dataSource } = fakeDataSource(new Error('transaction opened'));
    const handle = jest.fn();
    const onCommitted = jest.fn();
    const asked: number[][] = [];
    const processor = createEventProcessor(
      {
        name: 'c',
        filter: 'samverkan.test.>',
        handle,
        onCommitted,
        maxBatch: 10,
        wants: (events) => {
          asked.push(events.map((e) => (e.data as { n: number }).n));
          return events.map((e) => (e.data as { n: number }).n % 2 === 0);
        },
      },
      { dataSource, catalog, log },
    );
    // one on its own: not wanted, so done at once; wanted, so it reaches the (failing) transaction
    expect(await processor.process({ ...valid, data: { n: 1 } }, 1, valid.type)).toBe('done');
    expect(await processor.process({ ...valid, data: { n: 2 } }, 1, valid.type)).toBe('retry');
    // a batch: judged with one call; only the wanted one goes to a transaction
    const batch = [1, 2, 3].map((n) => ({
      raw: { ...valid, id: `7d7a0d0c-5f6b-4b0e-9a44-2a1f0d3c2b1${n}`, data: { n } },
      deliveryCount: 1,
      subject: valid.type,
    }));
    expect(await processor.processBatch(batch)).toEqual(['done', 'retry', 'done']);
    expect(asked).toEqual([[1], [2], [1, 2, 3]]);
    expect(handle).not.toHaveBeenCalled();
    // nothing was committed: nobody is told of a commit
    expect(onCommitted).not.toHaveBeenCalled();
  });

  it('handles every event when it cannot tell which it wants', async () => {
    const { dataSource } = fakeDataSource(new Error('transaction opened'));
    const processor = createEventProcessor(
      {
        name: 'c',
        filter: 'samverkan.test.>',
        handle: jest.fn(),
        wants: async () => {
          throw new Error('database down');
        },
      },
      { dataSource, catalog, log },
    );
    expect(await processor.process(valid, 1, valid.type)).toBe('retry');
  });
});
