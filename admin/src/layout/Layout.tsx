import AddIcon from '@mui/icons-material/Add';
import BadgeIcon from '@mui/icons-material/BadgeOutlined';
import GroupIcon from '@mui/icons-material/GroupOutlined';
import KeyIcon from '@mui/icons-material/KeyOutlined';
import VerifiedUserIcon from '@mui/icons-material/VerifiedUserOutlined';
import GridOnIcon from '@mui/icons-material/GridOn';
import InsightsIcon from '@mui/icons-material/Insights';
import StorageIcon from '@mui/icons-material/Storage';
import VisibilityIcon from '@mui/icons-material/VisibilityOutlined';
import { Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { AppBar, Layout, Menu, TitlePortal } from 'react-admin';
import { useLocation } from 'react-router-dom';
import { AccountMenu } from '../auth/AccountMenu';
import { UnauthorizedRedirect } from '../auth/UnauthorizedRedirect';
import { useAccess } from '../auth/useAccess';
import type { DatabaseStatus } from '../model';
import { useRegistry } from '../registry';

const DOT: Record<DatabaseStatus, string> = { ready: '#2e7d32', connecting: '#ed6c02', degraded: '#ed6c02', error: '#d32f2f' };

function StatusDot({ status }: { status: DatabaseStatus }) {
  return <Box component="span" sx={{ width: 10, height: 10, borderRadius: '50%', bgcolor: DOT[status] ?? '#999', display: 'inline-block', ml: 0.5 }} title={status} />;
}

/** Databases, and the tables and views of the one being looked at; the management screens for admins. */
function AppMenu() {
  const { databases, models } = useRegistry();
  const manage = {
    databases: useAccess('databases', 'create'),
    usage: useAccess('usage'),
    users: useAccess('users'),
    roles: useAccess('roles'),
    keys: useAccess('keys'),
    identityProviders: useAccess('identity-providers'),
  };
  const { pathname } = useLocation();
  const active = /^\/(?:db|databases)\/([^/]+)/.exec(pathname)?.[1];
  return (
    <Menu>
      <Menu.Item to="/" primaryText="Databases" leftIcon={<StorageIcon />} />
      {databases?.flatMap((db) => [
        <Menu.Item key={db.name} to={`/db/${db.name}`} primaryText={db.name} leftIcon={<StatusDot status={db.status} />} />,
        ...(db.name === active
          ? (models[db.name]?.resources ?? []).map((r) => (
              <Menu.Item
                key={`${db.name}/${r.name}`}
                to={`/db/${db.name}/${r.name}`}
                primaryText={r.name}
                leftIcon={r.kind === 'view' ? <VisibilityIcon fontSize="small" /> : <GridOnIcon fontSize="small" />}
                dense
                sx={{ pl: 4, '& .MuiListItemIcon-root': { minWidth: 32 } }}
              />
            ))
          : []),
      ])}
      {manage.databases && <Menu.Item to="/databases/new" primaryText="Add database" leftIcon={<AddIcon />} />}
      {manage.usage && <Menu.Item to="/usage" primaryText="Usage" leftIcon={<InsightsIcon />} />}
      {manage.users && <Menu.Item to="/users" primaryText="Users" leftIcon={<GroupIcon />} />}
      {manage.roles && <Menu.Item to="/roles" primaryText="Roles" leftIcon={<BadgeIcon />} />}
      {manage.keys && <Menu.Item to="/keys" primaryText="API keys" leftIcon={<KeyIcon />} />}
      {manage.identityProviders && <Menu.Item to="/identity-providers" primaryText="Identity providers" leftIcon={<VerifiedUserIcon />} />}
    </Menu>
  );
}

function LazyAppBar() {
  return (
    <AppBar userMenu={<AccountMenu />}>
      <Typography variant="h6" component="span" sx={{ fontWeight: 700, mr: 2, letterSpacing: 0.2 }}>
        lazydb
      </Typography>
      <TitlePortal variant="body1" sx={{ opacity: 0.85 }} />
    </AppBar>
  );
}

export function AppLayout({ children }: { children: ReactNode }) {
  return (
    <Layout menu={AppMenu} appBar={LazyAppBar} sx={{ minWidth: 0, '& .RaLayout-appFrame, & .RaLayout-contentWithSidebar, & .RaLayout-content': { minWidth: 0 } }}>
      <UnauthorizedRedirect />
      {children}
    </Layout>
  );
}
