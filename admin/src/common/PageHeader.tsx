import NavigateNextIcon from '@mui/icons-material/NavigateNext';
import { Box, Breadcrumbs, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link } from 'react-admin';

export interface Crumb {
  label: string;
  to?: string;
}

/** Breadcrumbs, a title and actions at the top of a page: where you are, and the way back. */
export function PageHeader({ crumbs, title, subtitle, actions }: { crumbs: Crumb[]; title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <Box sx={{ display: 'flex', alignItems: 'flex-end', justifyContent: 'space-between', gap: 2, mt: 2, mb: 1, flexWrap: 'wrap' }}>
      <Box sx={{ minWidth: 0 }}>
        {crumbs.length > 0 && <Breadcrumbs separator={<NavigateNextIcon fontSize="small" />} aria-label="breadcrumb" sx={{ fontSize: '0.875rem' }}>
          {crumbs.map((crumb) =>
            crumb.to ? (
              <Link key={crumb.label} to={crumb.to} underline="hover" color="inherit">
                {crumb.label}
              </Link>
            ) : (
              <Typography key={crumb.label} color="text.primary" fontSize="inherit">
                {crumb.label}
              </Typography>
            ),
          )}
        </Breadcrumbs>}
        <Typography variant="h5" component="h1" sx={{ fontWeight: 600, mt: 0.5, wordBreak: 'break-word' }}>
          {title}
        </Typography>
        {subtitle && (
          <Typography variant="body2" color="text.secondary" component="div">
            {subtitle}
          </Typography>
        )}
      </Box>
      {actions && <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>{actions}</Box>}
    </Box>
  );
}
