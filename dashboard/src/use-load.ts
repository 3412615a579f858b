import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads data for a page, with its error, whether a load is running, and a reload for after an action or a live
 * event. Only the latest load's answer is kept: an earlier one arriving late (a page left behind by a quick click
 * on Next, a live reload crossing a filter change) is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const call = ++latest.current;
    const current = () => call === latest.current;
    setLoading(true);
    run()
      .then((value) => {
        if (!current()) return;
        setData(value);
        setError(undefined);
      })
      .catch((err: unknown) => current() && setError(err))
      .finally(() => current() && setLoading(false));
  }, [run]);
  useEffect(reload, [reload]);
  return { data, error, loading, reload, setData };
}
