// The API and the signed-in principal, given to every page through context
// so that component tests can hand pages an in-memory API.
import { createContext, type DependencyList, useCallback, useContext, useEffect, useState } from 'react';
import type { Api } from './client';
import type { Principal } from './types';

/** Session is what the pages know about who is signed in. */
export interface Session {
  api: Api;
  me: Principal;
  signOut: () => void;
}

const SessionContext = createContext<Session | null>(null);

/** SessionProvider gives pages the API and the principal. */
export const SessionProvider = SessionContext.Provider;

/** useSession returns the current session; pages only render inside one. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a SessionProvider');
  return s;
}

/** The state of one load: loading, loaded, or failed. */
export type Load<T> =
  | { state: 'loading'; data?: undefined; error?: undefined }
  | { state: 'ok'; data: T; error?: undefined }
  | { state: 'error'; data?: undefined; error: unknown };

/**
 * useLoad runs fn when deps change and keeps its latest answer; an answer
 * that arrives after deps changed again is dropped, so a slow response never
 * overwrites a newer one.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: DependencyList): Load<T> & { reload: () => void } {
  // fn is a fresh closure on every render; deps say when it means a new load.
  // eslint-disable-next-line react-hooks/use-memo, react-hooks/exhaustive-deps
  const run = useCallback(fn, deps);
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState<{ run: unknown; tick: number; load: Load<T> } | null>(null);
  useEffect(() => {
    let live = true;
    run().then(
      (data) => { if (live) setDone({ run, tick, load: { state: 'ok', data } }); },
      (error: unknown) => { if (live) setDone({ run, tick, load: { state: 'error', error } }); },
    );
    return () => { live = false; };
  }, [run, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A reload keeps showing the previous answer until the new one arrives;
  // new deps show loading at once.
  const load: Load<T> = done && done.run === run ? done.load : { state: 'loading' };
  return { ...load, reload };
}
