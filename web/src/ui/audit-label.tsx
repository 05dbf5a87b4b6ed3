/**
 * Audit actions and object types in words (i18n/audit-labels.ts), loaded on first use so the
 * first load of the app does not carry them. Until then, and for an unknown code, the code.
 */
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';

type Labels = typeof import('../i18n/audit-labels');
let loading: Promise<Labels> | undefined;
let loaded: Labels | undefined;

function useAuditLabels(): Labels | undefined {
  const [labels, setLabels] = useState(loaded);
  useEffect(() => {
    if (!labels) {
      loading ??= import('../i18n/audit-labels').then((m) => (loaded = m));
      void loading.then(setLabels);
    }
  }, [labels]);
  return labels;
}

/** "Skicka ärende" for `referral.send`; the code stays in the title (what a filter matches). */
export function AuditActionName({ code }: { code: string }) {
  const { locale } = useI18n();
  const labels = useAuditLabels();
  return (
    <span class="audit-action" title={code}>
      {labels ? labels.auditActionLabel(locale, code) : code}
    </span>
  );
}

/** "Ärende" for `referral`. */
export function AuditObjectName({ code }: { code: string }) {
  const { locale } = useI18n();
  const labels = useAuditLabels();
  return <>{labels ? labels.auditObjectLabel(locale, code) : code}</>;
}
