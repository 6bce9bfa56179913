import { defaultTheme, type RaThemeOptions } from 'react-admin';

/** react-admin's default theme with the system font stack: nothing is fetched from a font CDN. */
export const theme: RaThemeOptions = {
  ...defaultTheme,
  palette: {
    ...defaultTheme.palette,
    primary: { main: '#2f5fd0' },
    secondary: { main: '#1f2a44' },
    background: { default: '#f5f6fa' },
  },
  typography: {
    ...defaultTheme.typography,
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", "DejaVu Sans", Arial, sans-serif',
  },
  sidebar: { width: 250, closedWidth: 55 },
};
