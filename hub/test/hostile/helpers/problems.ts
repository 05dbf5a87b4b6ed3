import type { LightMyRequestResponse } from 'fastify';

/** What is wrong with a refusal as a problem+json response (empty when it is right). */
export function checkProblem(response: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) {
    problems.push(`content-type ${type || '(none)'}`);
  }
  let body: { type?: unknown; status?: unknown };
  try {
    body = response.json();
  } catch {
    return [...problems, 'body is not JSON'];
  }
  if (typeof body.type !== 'string' || !body.type.startsWith('urn:samverkan:problem:')) {
    problems.push(`problem type ${String(body.type)}`);
  }
  if (body.status !== response.statusCode) {
    problems.push(`problem status ${String(body.status)} ≠ ${response.statusCode}`);
  }
  return problems;
}

/** Asserts a problem+json refusal with the given status (and slug). */
export function expectProblem(
  response: LightMyRequestResponse,
  status: number | number[],
  slug?: string,
): void {
  const statuses = Array.isArray(status) ? status : [status];
  const got = {
    status: response.statusCode,
    problems: checkProblem(response),
    body: response.body.slice(0, 300),
  };
  expect(statuses).toContain(got.status);
  expect(got.problems).toEqual([]);
  if (slug) {
    expect((response.json() as { type: string }).type).toBe(`urn:samverkan:problem:${slug}`);
  }
}
