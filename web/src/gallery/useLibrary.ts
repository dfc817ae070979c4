import { useCallback, useEffect, useState } from 'react';
import { api, type Asset, type Collection, type Share } from '../lib/api';

/** What a share dialog is opened for: one asset or one collection, and how to name it. */
export interface ShareRequest {
  target: { assetId?: string; collectionId?: string };
  label: string;
}
export const shareAsset = (a: Asset): ShareRequest => ({ target: { assetId: a.id }, label: 'this ' + a.kind });
export const shareCollection = (c: Collection): ShareRequest => ({ target: { collectionId: c.id }, label: `the collection “${c.name}”` });

/**
 * The person's collections and share links, which every view of the gallery shows a part of (the
 * boards, the filter, the detail's membership and link count). Both are hints: the gallery works
 * without them, so a failure to load them shows nothing.
 */
export function useLibrary() {
  const [collections, setCollections] = useState<Collection[]>([]);
  const [shares, setShares] = useState<Share[]>([]);
  const loadCollections = useCallback(async () => {
    try {
      const r = await api.collections();
      setCollections(r.collections ?? []);
    } catch {
      /* the gallery works without them */
    }
  }, []);
  const loadShares = useCallback(async () => {
    try {
      const r = await api.shares();
      setShares(r.shares ?? []);
    } catch {
      /* share state is a hint only */
    }
  }, []);
  useEffect(() => {
    void loadCollections();
    void loadShares();
  }, [loadCollections, loadShares]);
  /** The live (unexpired) links to an asset or collection. */
  const shareCount = useCallback((id: string) => shares.filter((s) => s.targetId === id && !s.expired).length, [shares]);
  return { collections, loadCollections, setShares, loadShares, shareCount };
}

export type Library = ReturnType<typeof useLibrary>;
