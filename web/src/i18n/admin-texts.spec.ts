import { describe, expect, it } from '@jest/globals';
import { en } from './en';
import { sv } from './sv';

describe("the admin page's texts point to what is on the page", () => {
  it('after a revoked device, the unit keys are replaced with the button below, not a CLI command', () => {
    expect(sv['unitKeys.help']).not.toMatch(/samverkan unit rotate/);
    expect(en['unitKeys.help']).not.toMatch(/samverkan unit rotate/);
    expect(sv['unitKeys.help']).toContain(`”${sv['rotate.title']}”`);
    expect(en['unitKeys.help']).toContain(`“${en['rotate.title']}”`);
  });
});
