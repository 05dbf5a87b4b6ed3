/**
 * The differencing attack of issue 16, repeated: `groupBy=gender` minus the same with
 * `municipality=0581`, next to `groupBy=municipality` showing Umeå as `<5`, used to give away one
 * referral from Umeå about a woman. With the cell key method every published count is within a
 * stated deviation of the truth, so the attacker can only narrow the Umeå cell to a range; the
 * test fails if any cell under 5 can be worked out to a single value.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;

type Published = number | string;
interface Answer {
  rows: Array<{ key: Record<string, string>; count: Published }>;
  disclosureControl?: { maxDeviation: number; threshold: number };
}

beforeAll(async () => {
  hub = await buildHub();
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const send = async (meta: Record<string, string>) => {
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('differencing'),
      meta,
    );
    expect((await hub.as('police.officer').post('/v1/referrals', body)).statusCode).toBe(201);
  };
  for (let i = 0; i < 12; i += 1) {
    await send({ gender: 'female', municipalityCode: '0581' });
  }
  for (let i = 0; i < 6; i += 1) {
    await send({ gender: 'male', municipalityCode: '0581' });
  }
  await send({ gender: 'female', municipalityCode: '2480', citizenshipGroup: 'unknown' });
});
afterAll(async () => {
  await hub?.close();
});

async function ask(query: string): Promise<Answer> {
  const res = await hub.as('lansstyrelsen.analyst').get(`/v1/statistics/referrals?${query}`);
  expect(res.statusCode).toBe(200);
  return res.json() as Answer;
}

/** The true counts a published value allows, by what the answer says of its method. */
function possible(answer: Answer, published: Published | undefined): [number, number] {
  const deviation = answer.disclosureControl?.maxDeviation ?? 0;
  const threshold = answer.disclosureControl?.threshold ?? 5;
  if (published === undefined) {
    return [0, 0];
  }
  if (typeof published === 'number') {
    return [Math.max(threshold, published - deviation), published + deviation];
  }
  if (published === `<${threshold}`) {
    return [1, threshold - 1 + deviation];
  }
  return [0, Number.MAX_SAFE_INTEGER]; // hidden outright
}

const cell = (answer: Answer, key: Record<string, string>) =>
  answer.rows.find((r) => Object.entries(key).every(([k, v]) => r.key[k] === v))?.count;

describe('differencing two answers', () => {
  it('cannot work out the one referral from Umeå about a woman', async () => {
    const all = await ask('groupBy=gender');
    const norrkoping = await ask('groupBy=gender&municipality=0581');
    const byMunicipality = await ask('groupBy=municipality');

    const umea = possible(byMunicipality, cell(byMunicipality, { municipality: '2480' }));
    for (const gender of ['female', 'male']) {
      const [allMin, allMax] = possible(all, cell(all, { gender }));
      const [partMin, partMax] = possible(norrkoping, cell(norrkoping, { gender }));
      // Umeå's referrals of this gender = all minus Norrköping's (the only two municipalities).
      const low = Math.max(allMin - partMax, gender === 'female' ? umea[0] : 0, 0);
      const high = Math.min(allMax - partMin, umea[1]);
      expect({ gender, derivable: low >= high && high < 5 }).toEqual({ gender, derivable: false });
    }
  });

  it('publishes no count under 5 as a number, in any of the answers', async () => {
    for (const query of [
      'groupBy=gender',
      'groupBy=gender&municipality=0581',
      'groupBy=municipality',
      'groupBy=municipality&groupBy=gender',
      'groupBy=citizenshipGroup',
      'groupBy=gender&groupBy=citizenshipGroup',
    ]) {
      for (const row of (await ask(query)).rows) {
        expect(typeof row.count === 'number' ? row.count >= 5 : row.count === '<5').toBe(true);
      }
    }
  });

  it('gives the same cell the same count however it is asked for, so asking again reveals nothing', async () => {
    const first = await ask('groupBy=gender');
    const again = await ask('groupBy=gender');
    expect(again.rows).toEqual(first.rows);
    // The women of Norrköping, reached by a filter or by a finer grouping.
    const filtered = await ask('groupBy=gender&municipality=0581');
    const grouped = await ask('groupBy=municipality&groupBy=gender');
    expect(cell(grouped, { municipality: '0581', gender: 'female' })).toEqual(
      cell(filtered, { gender: 'female' }),
    );
  });
});
