import { useEffect, useRef } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { onUnauthorized } from '../api';
import { sessionStore } from './session';

/**
 * A management call answered 401 (the session ended, or the screen needs a sign-in): read the
 * session again and go to the login page, which brings the user back here afterwards. Data
 * provider calls take the same way through the auth provider's checkError.
 */
export function UnauthorizedRedirect() {
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef(location.pathname);
  here.current = location.pathname;
  useEffect(
    () =>
      onUnauthorized(() => {
        if (here.current === '/login') return;
        void sessionStore.load();
        navigate('/login', { state: { nextPathname: here.current } });
      }),
    [navigate],
  );
  return null;
}
