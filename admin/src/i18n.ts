import { defaultI18nProvider, type I18nProvider } from 'react-admin';

/** react-admin's English, speaking of rows rather than "elements". */
const OVERRIDES: Record<string, (count: number) => string> = {
  'ra.notification.created': () => 'Row created',
  'ra.notification.updated': (n) => (n > 1 ? `${n} rows updated` : 'Row updated'),
  'ra.notification.deleted': (n) => (n > 1 ? `${n} rows deleted` : 'Row deleted'),
  'ra.notification.item_doesnt_exist': () => 'This row does not exist (any more)',
};

export const i18nProvider: I18nProvider = {
  ...defaultI18nProvider,
  translate: (key, options) => {
    const override = OVERRIDES[key];
    if (override) return override(Number((options as { smart_count?: number } | undefined)?.smart_count ?? 1));
    return defaultI18nProvider.translate(key, options);
  },
};
