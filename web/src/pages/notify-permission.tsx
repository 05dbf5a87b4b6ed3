/** The one place the app asks for the browser's notification permission: when asked to. */
import { useI18n } from '../i18n';
import { useNotificationPermission } from '../notify';
import { Notice } from '../ui/common';

export function NotifyPermission() {
  const { t } = useI18n();
  const { permission, ask } = useNotificationPermission();
  if (permission === 'unsupported') {
    return null;
  }
  if (permission === 'granted') {
    return (
      <p class="subtle" data-testid="notify-state">
        {t('fieldRequest.notify.on')}
      </p>
    );
  }
  if (permission === 'denied') {
    return <Notice kind="info">{t('fieldRequest.notify.denied')}</Notice>;
  }
  return (
    <div class="notify-ask">
      <button type="button" class="secondary" onClick={() => void ask()}>
        {t('fieldRequest.notify.ask')}
      </button>
      <p class="subtle">{t('fieldRequest.notify.help')}</p>
    </div>
  );
}
