/**
 * The browser's own notifications, for critical items only (an acute field request, an acute
 * referral waiting for acknowledgement), shown while the app is in the background. Permission is
 * asked for when the person chooses to turn alerts on (a button on the field-request page, where
 * someone on shift is), never on load. A notification names only the kind of item — never a
 * person, an address or a unit — as the hub's notifications do.
 */
import { useState } from 'preact/hooks';
import type { Notification as HubNotification } from './api/client';

export function notificationsSupported(): boolean {
  return typeof globalThis.Notification === 'function';
}

export function notificationPermission(): NotificationPermission | 'unsupported' {
  return notificationsSupported() ? globalThis.Notification.permission : 'unsupported';
}

export async function askNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) {
    return 'unsupported';
  }
  return globalThis.Notification.requestPermission();
}

/**
 * Shows a system notification for a critical hub notification when the page is not in view (in
 * view, the app's own live alert says it). Clicking it brings the tab forward.
 */
export function systemNotify(n: HubNotification, title: string): boolean {
  if (
    n.severity !== 'critical' ||
    notificationPermission() !== 'granted' ||
    document.visibilityState === 'visible'
  ) {
    return false;
  }
  const shown = new globalThis.Notification(title, { tag: n.id, requireInteraction: true });
  shown.onclick = () => {
    globalThis.focus();
    location.hash = n.objectType === 'referral' ? `#/referral/${n.objectId}` : '#/field-requests';
    shown.close();
  };
  return true;
}

export function useNotificationPermission() {
  const [permission, setPermission] = useState(notificationPermission());
  return {
    permission,
    ask: async () => setPermission(await askNotificationPermission()),
  };
}
