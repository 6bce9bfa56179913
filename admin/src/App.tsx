import { Box, CircularProgress, Typography } from '@mui/material';
import { useEffect, useMemo } from 'react';
import { Admin, CustomRoutes, Resource } from 'react-admin';
import { Route } from 'react-router-dom';
import { createAuthProvider } from './auth/authProvider';
import { LoginPage } from './auth/LoginPage';
import { RequireAccess } from './auth/RequireAccess';
import { sessionStore, useSession } from './auth/session';
import { ConnectionForm } from './connection/ConnectionForm';
import { IdentityProvidersPage } from './identity/IdentityProvidersPage';
import { KeysPage } from './keys/KeysPage';
import { RolesPage } from './roles/RolesPage';
import { UsersPage } from './users/UsersPage';
import { DialectsProvider, useDialects } from './dialects';
import { i18nProvider } from './i18n';
import { DatabaseHome } from './database/DatabaseHome';
import { AppLayout } from './layout/Layout';
import { capabilities } from './model';
import { Overview } from './overview/Overview';
import { RegistryProvider, useRegistry } from './registry';
import { resourceName, routingProvider } from './rest/provider';
import { TableCreate, TableEdit } from './table/TableForms';
import { TableList } from './table/TableList';
import { TableShow } from './table/TableShow';
import { representation } from './table/useTable';
import { theme } from './theme';
import { UsagePage } from './usage/UsagePage';

function AdminApp() {
  const registry = useRegistry();
  const dialects = useDialects();
  const session = useSession();
  const dataProvider = useMemo(() => routingProvider(registry.lookup), [registry.lookup]);
  const authProvider = useMemo(() => createAuthProvider(registry.lookup), [registry.lookup]);
  const resources = useMemo(
    () =>
      Object.entries(registry.models).flatMap(([database, model]) =>
        model.resources.map((resource) => {
          const caps = capabilities(resource);
          return (
            <Resource
              key={resourceName(database, resource.name)}
              name={resourceName(database, resource.name)}
              list={TableList}
              show={caps.open ? TableShow : undefined}
              edit={caps.edit ? TableEdit : undefined}
              create={caps.create ? TableCreate : undefined}
              recordRepresentation={representation(resource)}
              options={{ label: resource.name }}
            />
          );
        }),
      ),
    [registry.models],
  );
  // Deep links need the models: until the first ones are read, routes would not exist yet. The
  // dialects' names are read at the same time (the screens do without them if that fails).
  if (session === null || !registry.ready || (dialects.list === null && dialects.error === null)) {
    return (
      <Box sx={{ display: 'grid', placeItems: 'center', height: '100vh' }}>
        <Box sx={{ textAlign: 'center' }}>
          <CircularProgress />
          <Typography sx={{ mt: 2 }} color="text.secondary">
            Loading databases…
          </Typography>
        </Box>
      </Box>
    );
  }
  return (
    <Admin
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      i18nProvider={i18nProvider}
      layout={AppLayout}
      dashboard={Overview}
      theme={theme}
      title="lazydb"
      disableTelemetry
    >
      <CustomRoutes>
        <Route path="/databases/new" element={<RequireAccess resource="databases" title="Add database"><ConnectionForm key="new" /></RequireAccess>} />
        <Route path="/databases/:name/edit" element={<RequireAccess resource="databases" title="Connection"><ConnectionForm key="edit" /></RequireAccess>} />
        <Route path="/db/:name" element={<DatabaseHome />} />
        <Route path="/usage" element={<RequireAccess resource="usage" title="Usage"><UsagePage /></RequireAccess>} />
        <Route path="/users" element={<RequireAccess resource="users" title="Users"><UsersPage /></RequireAccess>} />
        <Route path="/roles" element={<RequireAccess resource="roles" title="Roles"><RolesPage /></RequireAccess>} />
        <Route path="/keys" element={<RequireAccess resource="keys" title="API keys"><KeysPage /></RequireAccess>} />
        <Route path="/identity-providers" element={<RequireAccess resource="identity-providers" title="Identity providers"><IdentityProvidersPage /></RequireAccess>} />
      </CustomRoutes>
      {resources}
    </Admin>
  );
}

export function App() {
  // Who is signed in decides what the registry reads: the session comes first.
  useEffect(() => {
    void sessionStore.load();
  }, []);
  return (
    <RegistryProvider>
      <DialectsProvider>
        <AdminApp />
      </DialectsProvider>
    </RegistryProvider>
  );
}
