import { isUnavailableError, toProblem, validationErrors } from './error-handler';
import { CommonProblems, ProblemError } from './problem';

describe('toProblem', () => {
  it('passes a ProblemError through unchanged', () => {
    const problem = new ProblemError(CommonProblems.forbidden, 'no');
    expect(toProblem(problem)).toBe(problem);
  });

  it('maps a request validation error to 400 validation-error naming each field', () => {
    const err = Object.assign(new Error('body/name must be string'), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validationContext: 'body',
      validation: [
        { instancePath: '/name', message: 'must be string', params: { type: 'string' } },
        {
          instancePath: '',
          message: "must have required property 'kind'",
          params: { missingProperty: 'kind' },
        },
        {
          instancePath: '',
          message: 'must NOT have additional properties',
          params: { additionalProperty: 'extra' },
        },
        {
          instancePath: '/openingHours/weekly/0/day',
          message: 'must be equal to one of the allowed values',
          params: { allowedValues: ['mon', 'tue'] },
        },
      ],
    });
    const problem = toProblem(err);
    expect(problem.statusCode).toBe(400);
    expect(problem.definition).toBe(CommonProblems.validation);
    expect(problem.errors).toEqual([
      { field: 'body.name', message: 'must be string' },
      { field: 'body.kind', message: 'is required' },
      { field: 'body.extra', message: 'is not an accepted property' },
      { field: 'body.openingHours.weekly.0.day', message: 'must be one of: mon, tue' },
    ]);
    expect(problem.detail).toContain('body.kind is required');
    expect(problem.toBody('/v1/units').type).toBe('urn:samverkan:problem:validation-error');
  });

  it('names the whole part when the error is at its root', () => {
    expect(
      validationErrors(
        [{ instancePath: '', message: 'must be object', params: {} }],
        'querystring',
      ),
    ).toEqual([{ field: 'querystring', message: 'must be object' }]);
    expect(validationErrors([{ message: 'bad' }], undefined)).toEqual([
      { field: 'request', message: 'bad' },
    ]);
  });

  it('maps a unique violation (23505) to 409 conflict, also when TypeORM wraps it', () => {
    const pg = Object.assign(
      new Error('duplicate key value violates unique constraint "units_pkey"'),
      { code: '23505' },
    );
    expect(toProblem(pg).definition).toBe(CommonProblems.conflict);
    const wrapped = Object.assign(
      new Error('duplicate key value violates unique constraint "units_pkey"'),
      {
        name: 'QueryFailedError',
        driverError: pg,
      },
    );
    const problem = toProblem(wrapped);
    expect(problem.statusCode).toBe(409);
    expect(JSON.stringify(problem.toBody())).not.toContain('units_pkey');
  });

  it('maps malformed values (22P02) to 400', () => {
    expect(
      toProblem(Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }))
        .statusCode,
    ).toBe(400);
  });

  it('maps values the database cannot store (NUL, too long, out of range) to 400 without detail', () => {
    for (const [code, message] of [
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
      ['22001', 'value too long for type character varying(200)'],
      ['22003', 'integer out of range'],
    ]) {
      const problem = toProblem(
        Object.assign(new Error('query failed'), {
          name: 'QueryFailedError',
          driverError: Object.assign(new Error(message), { code }),
        }),
      );
      expect(problem.statusCode).toBe(400);
      expect(problem.definition).toBe(CommonProblems.validation);
      expect(JSON.stringify(problem.toBody())).not.toContain(message);
    }
  });

  it('maps a database that is not there to 503 with retry-after', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    for (const err of [
      refused,
      Object.assign(new Error('query failed'), { driverError: refused }),
      Object.assign(new Error('query failed'), { cause: refused }),
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
    ]) {
      const problem = toProblem(err);
      expect(problem.statusCode).toBe(503);
      expect(problem.definition).toBe(CommonProblems.unavailable);
      expect(problem.headers['retry-after']).toBe('5');
      expect(JSON.stringify(problem.toBody())).not.toMatch(/5432|ECONNREFUSED|administrator/);
    }
  });

  it('isUnavailableError survives a self-referencing cause', () => {
    const err = new Error('odd') as Error & { cause?: unknown };
    err.cause = err;
    expect(isUnavailableError(err)).toBe(false);
  });

  it('maps anything else to 500 internal-error without internal detail', () => {
    for (const err of [
      new Error(
        'TypeError: cannot read properties of undefined (reading "secret") at /srv/app/units.service.ts:12',
      ),
      Object.assign(new Error('relation "directory.units" does not exist'), { code: '42P01' }),
      Object.assign(new Error('boom'), { statusCode: 500 }),
      'a thrown string',
      undefined,
      null,
      { weird: true },
    ]) {
      const problem = toProblem(err);
      expect(problem.statusCode).toBe(500);
      expect(problem.definition).toBe(CommonProblems.internal);
      expect(problem.detail).toBeUndefined();
      const body = problem.toBody('/v1/units');
      expect(Object.keys(body).sort()).toEqual(['code', 'instance', 'status', 'title', 'type']);
      expect(body).toMatchObject({
        type: 'urn:samverkan:problem:internal-error',
        status: 500,
        code: 'INTERNAL_ERROR',
      });
    }
  });

  it('maps Fastify body errors', () => {
    expect(
      toProblem(
        Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      ).statusCode,
    ).toBe(413);
    expect(
      toProblem(
        Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
      ).statusCode,
    ).toBe(415);
    expect(
      toProblem(
        Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }),
      ).definition,
    ).toBe(CommonProblems.malformedBody);
    expect(
      toProblem(
        Object.assign(new Error('x'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }),
      ).definition,
    ).toBe(CommonProblems.malformedBody);
  });

  it('maps router errors to problems without echoing the path', () => {
    const long = toProblem(
      Object.assign(new URIError("'/v1/units/xxxx' is exceeding the max param length"), {
        code: 'FST_ERR_MAX_PARAM_LENGTH',
        statusCode: 414,
      }),
    );
    expect(long.statusCode).toBe(414);
    expect(long.definition).toBe(CommonProblems.uriTooLong);
    expect(JSON.stringify(long.toBody())).not.toContain('xxxx');
    const bad = toProblem(
      Object.assign(new URIError("'/v1/%E0%A4%A' is not a valid url component"), {
        code: 'FST_ERR_BAD_URL',
        statusCode: 400,
      }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.definition).toBe(CommonProblems.validation);
    expect(JSON.stringify(bad.toBody())).not.toContain('%E0');
  });

  it('keeps the status of other client errors, and maps 404 and 429', () => {
    expect(toProblem(Object.assign(new Error('Not Found'), { statusCode: 404 })).definition).toBe(
      CommonProblems.notFound,
    );
    expect(toProblem(Object.assign(new Error('slow down'), { statusCode: 429 })).definition).toBe(
      CommonProblems.rateLimited,
    );
    const teapot = toProblem(Object.assign(new Error('short and stout'), { statusCode: 418 }));
    expect(teapot.statusCode).toBe(418);
    expect(teapot.detail).toBe('short and stout');
  });
});
