import { useSearchParams } from 'react-router';

/**
 * The `offset` of an offset-paged list, kept in the page's URL (`?offset=100`): a reload, a shared link or Back from a
 * row's own page lands on the same page of the list.
 */
export function useOffsetParam(): [number, (offset: number) => void] {
  const [params, setParams] = useSearchParams();
  const parsed = Number(params.get('offset'));
  const offset = Number.isSafeInteger(parsed) && parsed > 0 ? parsed : 0;
  const setOffset = (next: number) =>
    setParams((current) => {
      const updated = new URLSearchParams(current);
      if (next > 0) updated.set('offset', String(next));
      else updated.delete('offset');
      return updated;
    });
  return [offset, setOffset];
}
