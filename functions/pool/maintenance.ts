import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../shared/clock';
import { isDroppable, type PoolItem } from './model';
import type { PoolStore } from './store';

export interface MaintenanceSummary {
  readonly pool: string;
  /** Slots freed because their upstream session is surely dead. */
  readonly dropped: number;
  readonly live: number;
}

/**
 * The scheduled sweep of one pool. Each drop is its own conditional write,
 * so two sweeps running at once, or a sweep racing a check-out that
 * replaces the same dead slot, free a slot exactly once.
 */
export const sweepPool = async (
  deps: { store: PoolStore; clock: Clock; logger: Logger },
  pool: string,
): Promise<MaintenanceSummary> => {
  const item = await deps.store.read(pool);
  if (!item) return { pool, dropped: 0, live: 0 };

  let dropped = 0;
  let latest: PoolItem = item;
  for (const [slotId, slot] of Object.entries(item.sessions)) {
    const now = deps.clock.now();
    if (!isDroppable(slot, now)) continue;
    const result = await deps.store.drop(pool, slotId, now);
    if (result.item) latest = result.item;
    if (result.ok) dropped += 1;
  }

  const summary = { pool, dropped, live: latest.live };
  deps.logger.info('pool swept', summary);
  return summary;
};
