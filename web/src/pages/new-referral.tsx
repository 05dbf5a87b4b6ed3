/**
 * A new referral: the clear part the hub routes by (recipient, category, urgency, age band, …)
 * and the document, a form generated from openapi/referral-document.schema.json (each property
 * becomes a field by its type: text, long text, number, yes/no, a choice, several choices, a
 * list), signed and encrypted in this browser by the SDK (which also checks the document against
 * the schema before signing). The sharing rules are explained as the person fills it in, and
 * everything typed is kept as an encrypted draft in this browser until it is sent.
 */
import { useMemo, useState } from 'preact/hooks';
import schema from '@samverkan/sdk/src/generated/referral-document.schema.json';
import { must, type ReferralSchemas, type Unit } from '../api/client';
import { refusalText } from '../api/problem-message';
import { asEnvelopeWarning, cryptoAdapter } from '../crypto/adapter';
import { useDraft } from '../crypto/drafts';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, UnitPicker, useApp, useLoad } from '../ui/common';
import { MunicipalitySelect } from '../ui/municipality';
import { SharingAdviceList } from './referral-content';
import { sharingAdvice } from './sharing';

type Json = Record<string, unknown>;

interface SchemaNode {
  type?: string;
  enum?: string[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: string;
  description?: string;
}

const ROOT = schema as unknown as SchemaNode;
/** Not asked in the form: the format version is fixed; files are not supported in the web yet. */
const SKIP = new Set(['version', 'attachments']);

interface FormState {
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitId: string;
  category: ReferralSchemas['Category'];
  urgency: ReferralSchemas['Urgency'];
  citizenshipGroup: ReferralSchemas['CitizenshipGroup'];
  municipalityCode: string;
  legalBasis: ReferralSchemas['LegalBasis'];
  justification: string;
  doc: Json;
}

const CATEGORIES: ReferralSchemas['Category'][] = [
  'trafficking_sexual',
  'trafficking_labour',
  'sex_for_compensation',
  'child_sexual_exploitation',
  'buyer_support',
  'other',
];
const URGENCIES: ReferralSchemas['Urgency'][] = ['acute', 'urgent', 'routine'];
const CITIZENSHIP: ReferralSchemas['CitizenshipGroup'][] = ['swedish', 'eu', 'non_eu', 'unknown'];
const LEGAL_BASES: ReferralSchemas['LegalBasis'][] = [
  'consent',
  'child_protection',
  'acute_protection',
  'legal_duty',
];

function initial(senderUnitId: string): FormState {
  return {
    senderUnitId,
    recipientUnitId: '',
    copyUnitId: '',
    category: 'trafficking_sexual',
    urgency: 'urgent',
    citizenshipGroup: 'unknown',
    municipalityCode: '0581',
    legalBasis: 'consent',
    justification: '',
    doc: { person: { ageBand: 'adult', gender: 'unknown' }, consent: { given: false } },
  };
}

function get(obj: Json, path: string[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined),
    obj,
  );
}

function set(obj: Json, path: string[], value: unknown): Json {
  const [head, ...rest] = path;
  if (head === undefined) {
    return obj;
  }
  return {
    ...obj,
    [head]: rest.length === 0 ? value : set(((obj[head] as Json) ?? {}) as Json, rest, value),
  };
}

/** Drops what was left empty, so optional fields are absent rather than blank. */
function clean(value: unknown, node: SchemaNode, required: boolean): unknown {
  if (node.type === 'object' && node.properties) {
    const out: Json = {};
    for (const [k, child] of Object.entries(node.properties)) {
      if (SKIP.has(k)) {
        continue;
      }
      const v = clean((value as Json | undefined)?.[k], child, (node.required ?? []).includes(k));
      if (v !== undefined) {
        out[k] = v;
      }
    }
    return Object.keys(out).length > 0 || required ? out : undefined;
  }
  if (Array.isArray(value)) {
    return value.length > 0 || required ? value : undefined;
  }
  if (value === '' || value === null || value === undefined) {
    return undefined;
  }
  return value;
}

function label(t: (k: MessageKey) => string, path: string[]): string {
  return t(`doc.${path.join('.')}` as MessageKey);
}

/** One schema property as a form field, by its type. */
function SchemaField({
  node,
  path,
  doc,
  onChange,
  required,
}: {
  node: SchemaNode;
  path: string[];
  doc: Json;
  onChange(path: string[], value: unknown): void;
  required: boolean;
}) {
  const { t } = useI18n();
  const id = `f-${path.join('-')}`;
  const value = get(doc, path);
  const text = label(t, path);
  if (node.type === 'object' && node.properties) {
    return (
      <fieldset class="schema-group">
        <legend>{text}</legend>
        {Object.entries(node.properties)
          .filter(([k]) => !SKIP.has(k))
          .map(([k, child]) => (
            <SchemaField
              key={k}
              node={child}
              path={[...path, k]}
              doc={doc}
              onChange={onChange}
              required={(node.required ?? []).includes(k)}
            />
          ))}
      </fieldset>
    );
  }
  if (node.type === 'array' && node.items?.enum) {
    const chosen = (value as string[] | undefined) ?? [];
    const prefix = path.at(-1) === 'requests' ? 'request' : path.at(-1);
    return (
      <fieldset class="choices">
        <legend>
          {text}
          {required && <span aria-hidden="true"> *</span>}
        </legend>
        {node.items.enum.map((v) => (
          <label key={v} class="check">
            <input
              type="checkbox"
              checked={chosen.includes(v)}
              onChange={(e) =>
                onChange(
                  path,
                  (e.target as HTMLInputElement).checked
                    ? [...chosen, v]
                    : chosen.filter((x) => x !== v),
                )
              }
            />{' '}
            {t(`${prefix}.${v}` as MessageKey)}
          </label>
        ))}
      </fieldset>
    );
  }
  if (node.type === 'array') {
    // A list of short texts (languages on one line, risks one per line).
    const oneLine = (node.items?.maxLength ?? 500) <= 10;
    const list = (value as string[] | undefined) ?? [];
    return (
      <label class="field" for={id}>
        <span>
          {text} <small>({oneLine ? t('form.commaSeparated') : t('form.onePerLine')})</small>
        </span>
        {oneLine ? (
          <input
            id={id}
            value={list.join(', ')}
            onInput={(e) =>
              onChange(
                path,
                (e.target as HTMLInputElement).value
                  .split(/[,\s]+/)
                  .map((x) => x.trim().toLowerCase())
                  .filter(Boolean),
              )
            }
          />
        ) : (
          <textarea
            id={id}
            rows={3}
            value={list.join('\n')}
            onInput={(e) =>
              onChange(
                path,
                (e.target as HTMLTextAreaElement).value.split('\n').filter((x) => x.trim()),
              )
            }
          />
        )}
      </label>
    );
  }
  if (node.type === 'boolean') {
    return (
      <label class="check">
        <input
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(path, (e.target as HTMLInputElement).checked)}
        />{' '}
        {text}
      </label>
    );
  }
  if (node.enum) {
    const prefix = path.at(-1)!;
    return (
      <label class="field" for={id}>
        <span>{text}</span>
        <select
          id={id}
          value={(value as string) ?? ''}
          onChange={(e) => onChange(path, (e.target as HTMLSelectElement).value)}
        >
          {node.enum.map((v) => (
            <option key={v} value={v}>
              {t(`${prefix}.${v}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
    );
  }
  if (node.type === 'integer' || node.type === 'number') {
    return (
      <label class="field" for={id}>
        <span>{text}</span>
        <input
          id={id}
          type="number"
          min={node.minimum}
          max={node.maximum}
          value={value === undefined ? '' : String(value)}
          onInput={(e) => {
            const raw = (e.target as HTMLInputElement).value;
            onChange(path, raw === '' ? undefined : Number(raw));
          }}
        />
      </label>
    );
  }
  const long = (node.maxLength ?? 0) > 500;
  const common = {
    id,
    required,
    maxLength: node.maxLength,
    value: (value as string) ?? '',
    'data-field': path.join('.'),
    onInput: (e: Event) => onChange(path, (e.target as HTMLInputElement).value),
  };
  return (
    <label class="field" for={id}>
      <span>
        {text}
        {required && <span aria-hidden="true"> *</span>}
      </span>
      {long ? (
        <textarea rows={path.at(-1) === 'summary' ? 6 : 3} {...common} />
      ) : (
        <input
          type={
            (node.format === 'email' ? 'email' : path.at(-1) === 'phone' ? 'tel' : 'text') as 'text'
          }
          list={undefined}
          {...common}
        />
      )}
    </label>
  );
}

export function NewReferralPage({ onSent }: { onSent(id: string): void }) {
  const { api, session, deviceTick } = useApp();
  const { t } = useI18n();
  const withKeys = session.claims.units.filter((u) => cryptoAdapter.agency(u));
  const draft = useDraft<FormState>(
    `referral:${session.claims.iss}:${session.claims.sub}`,
    initial(session.claims.units[0] ?? ''),
  );
  const f = draft.value;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ text: string; problems?: string[] }>();
  const units = useLoad(
    async () =>
      must(await api.directory.GET('/v1/units', { params: { query: { limit: 100 } } })).items,
    [],
  );
  const byId = useMemo(
    () => new Map((units.data ?? []).map((u) => [u.id, u] as [string, Unit])),
    [units.data],
  );
  const update = (patch: Partial<FormState>) => draft.set({ ...f, ...patch });
  const person = (f.doc.person ?? {}) as Json;
  const ageBand = String(person.ageBand ?? 'unknown');
  const parties = [
    { id: f.recipientUnitId, role: 'recipient' as const },
    { id: f.copyUnitId, role: 'copy' as const },
  ]
    .filter((p) => p.id && byId.has(p.id))
    .map((p) => {
      const u = byId.get(p.id)!;
      return { unitId: u.id, name: u.name, organisationKind: u.organisation.kind, role: p.role };
    });
  const advice = sharingAdvice({
    legalBasis: f.legalBasis,
    ageBand,
    justification: f.justification,
    parties,
  });
  const blocked = advice.some((a) => a.blocking) || !f.recipientUnitId;

  if (!draft.ready) {
    return <p role="status">{t('app.loading')}</p>;
  }
  const sender = withKeys.includes(f.senderUnitId) ? f.senderUnitId : withKeys[0];
  const agency = sender ? cryptoAdapter.agency(sender) : undefined;

  const send = async (e: Event) => {
    e.preventDefault();
    if (!agency || blocked) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const document = {
        version: 1,
        ...(clean(f.doc, ROOT, true) as Json),
      };
      const sent = await agency.sendReferral({
        recipientUnitId: f.recipientUnitId,
        copyUnitIds: f.copyUnitId ? [f.copyUnitId] : [],
        document,
        meta: {
          category: f.category,
          urgency: f.urgency,
          ageBand: ageBand as ReferralSchemas['AgeBand'],
          gender: String(person.gender ?? 'unknown') as ReferralSchemas['Gender'],
          citizenshipGroup: f.citizenshipGroup,
          municipalityCode: f.municipalityCode,
          legalBasis: f.legalBasis,
        },
        // Sealed in the browser as a note on the new referral's thread; the hub never reads it.
        ...(f.legalBasis === 'acute_protection' ? { justification: f.justification } : {}),
      });
      await draft.clear();
      onSent(sent.id);
    } catch (err) {
      const w = asEnvelopeWarning(err) as { code?: string } | undefined;
      const problems = (err as { problems?: Array<{ path: string; message: string }> }).problems;
      setError({
        text:
          w?.code === 'invalid_document'
            ? t('form.invalid')
            : t('action.refused', { detail: refusalText(t, err) }),
        problems: problems?.map(
          (x) =>
            `${label(
              t,
              x.path
                .split('/')
                .filter(Boolean)
                .filter((s) => !/^\d+$/.test(s)),
            )}: ${x.message}`,
        ),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="page-title" data-device={deviceTick}>
      <h1 id="page-title">{t('newReferral.title')}</h1>
      <p>{t('newReferral.intro')}</p>
      {!agency && (
        <div class="notice notice-warning" role="status" data-testid="no-unit-keys">
          <strong>{t('crypto.noKeysTitle')}</strong>
          <p>{t('crypto.sendDisabled')}</p>
        </div>
      )}
      {draft.restored && <Notice kind="info">{t('draft.restored')}</Notice>}
      <form onSubmit={send} class="referral-form" data-testid="new-referral-form">
        <fieldset>
          <legend>{t('newReferral.routing')}</legend>
          <p class="muted">{t('newReferral.routingHelp')}</p>
          <UnitPicker
            units={withKeys}
            value={sender ?? ''}
            onChange={(u) => update({ senderUnitId: u })}
          />
          <label class="field" for="f-recipient">
            <span>{t('newReferral.recipient')} *</span>
            <select
              id="f-recipient"
              required
              value={f.recipientUnitId}
              onChange={(e) => update({ recipientUnitId: (e.target as HTMLSelectElement).value })}
            >
              <option value="">{t('newReferral.chooseUnit')}</option>
              {(units.data ?? [])
                .filter((u) => u.id !== sender)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.organisation.name})
                  </option>
                ))}
            </select>
          </label>
          <label class="field" for="f-copy">
            <span>{t('newReferral.copy')}</span>
            <select
              id="f-copy"
              value={f.copyUnitId}
              onChange={(e) => update({ copyUnitId: (e.target as HTMLSelectElement).value })}
            >
              <option value="">{t('newReferral.noCopy')}</option>
              {(units.data ?? [])
                .filter((u) => u.id !== sender && u.id !== f.recipientUnitId)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.organisation.name})
                  </option>
                ))}
            </select>
          </label>
          <ClearSelect
            id="f-category"
            label={t('newReferral.category')}
            value={f.category}
            options={CATEGORIES.map((c) => [c, t(`category.${c}`)])}
            onChange={(v) => update({ category: v as FormState['category'] })}
          />
          <ClearSelect
            id="f-urgency"
            label={t('newReferral.urgency')}
            value={f.urgency}
            options={URGENCIES.map((c) => [c, t(`urgency.${c}`)])}
            onChange={(v) => update({ urgency: v as FormState['urgency'] })}
          />
          <ClearSelect
            id="f-citizenship"
            label={t('newReferral.citizenship')}
            value={f.citizenshipGroup}
            options={CITIZENSHIP.map((c) => [c, t(`citizenshipGroup.${c}`)])}
            onChange={(v) => update({ citizenshipGroup: v as FormState['citizenshipGroup'] })}
          />
          <label class="field" for="f-municipality">
            <span>{t('referral.municipality')}</span>
            <MunicipalitySelect
              id="f-municipality"
              value={f.municipalityCode}
              onChange={(code) => update({ municipalityCode: code })}
            />
          </label>
          <ClearSelect
            id="f-legal-basis"
            label={t('referral.legalBasis')}
            value={f.legalBasis}
            options={LEGAL_BASES.map((c) => [c, t(`legalBasis.${c}`)])}
            onChange={(v) => update({ legalBasis: v as FormState['legalBasis'] })}
          />
          {f.legalBasis === 'acute_protection' && (
            <label class="field" for="f-justification">
              <span>{t('newReferral.justification')} *</span>
              <textarea
                id="f-justification"
                rows={2}
                maxLength={1000}
                value={f.justification}
                aria-describedby="f-justification-help"
                onInput={(e) => update({ justification: (e.target as HTMLTextAreaElement).value })}
              />
              <small id="f-justification-help">{t('newReferral.justificationHelp')}</small>
            </label>
          )}
        </fieldset>
        <SharingAdviceList advice={advice} />
        {Object.entries(ROOT.properties ?? {})
          .filter(([k]) => !SKIP.has(k))
          .map(([k, node]) => (
            <SchemaField
              key={k}
              node={node}
              path={[k]}
              doc={f.doc}
              required={(ROOT.required ?? []).includes(k)}
              onChange={(path, value) => update({ doc: set(f.doc, path, value) })}
            />
          ))}
        <p class="muted">{t('newReferral.encryptedNote')}</p>
        {error && (
          <Notice kind="error">
            {error.text}
            {error.problems && (
              <ul>
                {error.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </Notice>
        )}
        <button
          type="submit"
          class="big"
          disabled={busy || blocked || !agency}
          aria-describedby={f.recipientUnitId ? undefined : 'send-hint'}
        >
          {t('newReferral.send')}
        </button>
        {!f.recipientUnitId && (
          // Why the button cannot be pressed yet (the sharing advice above says the other reasons).
          <p id="send-hint" class="muted" data-testid="send-hint">
            {t('newReferral.chooseRecipient')}
          </p>
        )}
      </form>
    </section>
  );
}

function ClearSelect({
  id,
  label: text,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  options: Array<[string, string]>;
  onChange(value: string): void;
}) {
  return (
    <label class="field" for={id}>
      <span>{text}</span>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
      >
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}
