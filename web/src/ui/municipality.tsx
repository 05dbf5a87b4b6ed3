/** A municipality shown and chosen by its name (the code is what the hub stores). */
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { municipalityList, municipalityText, type MunicipalityList } from '../municipalities';

let loading: Promise<MunicipalityList> | undefined;
let loaded: MunicipalityList | undefined;

function loadMunicipalities(): Promise<MunicipalityList> {
  loading ??= import('@samverkan/shared/src/sweden/municipalities').then((m) => {
    loaded = municipalityList(m.MUNICIPALITIES);
    return loaded;
  });
  return loading;
}

/** The list once it has loaded (undefined until then; the caller shows the code meanwhile). */
export function useMunicipalities(): MunicipalityList | undefined {
  const [list, setList] = useState(loaded);
  useEffect(() => {
    if (!list) {
      void loadMunicipalities().then(setList);
    }
  }, [list]);
  return list;
}

export function MunicipalityName({ code }: { code: string }) {
  const { t } = useI18n();
  const list = useMunicipalities();
  return <span data-municipality={code}>{municipalityText(t, code, list)}</span>;
}

/**
 * A select of the 290 municipalities by name, values their SCB codes. With `anyLabel`, an empty
 * first choice (e.g. "Alla kommuner" in a search); otherwise one must be chosen.
 */
export function MunicipalitySelect({
  id,
  value,
  onChange,
  anyLabel,
}: {
  id?: string;
  value: string;
  onChange(code: string): void;
  anyLabel?: string;
}) {
  const { t } = useI18n();
  const list = useMunicipalities();
  return (
    <select
      id={id}
      required={anyLabel === undefined}
      value={value}
      onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
    >
      {anyLabel !== undefined && <option value="">{anyLabel}</option>}
      {list
        ? list.sorted.map((m) => (
            <option key={m.code} value={m.code}>
              {m.name}
            </option>
          ))
        : value && <option value={value}>{municipalityText(t, value, list)}</option>}
    </select>
  );
}
