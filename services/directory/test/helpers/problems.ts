import { PROBLEM_TYPE_BASE } from '@samverkan/shared';
import type { LightMyRequestResponse } from 'fastify';

/** Asserts an RFC 9457 answer: status, problem type (by slug), media type, and optionally code. */
export function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  slug: string,
  code?: string,
): void {
  expect({ status: res.statusCode, type: res.json().type }).toEqual({
    status,
    type: `${PROBLEM_TYPE_BASE}${slug}`,
  });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe('string');
  if (code) {
    expect(body.code).toBe(code);
  }
}
