import { randomBytes, randomUUID } from 'node:crypto';

/** Slot ids name a map key in the pool item: 12 hex characters. */
const SLOT_ID = /^[0-9a-f]{12}$/;

/**
 * Lease ids are `<slot id>.<128 random bits>`: the slot part lets a renew or
 * check-in address its session in one write, the random part makes the id
 * unguessable.
 */
const LEASE_ID = /^([0-9a-f]{12})\.[0-9a-f]{32}$/;

export const newSlotId = (): string => randomBytes(6).toString('hex');

export const newLeaseId = (slotId: string): string => {
  if (!SLOT_ID.test(slotId)) throw new RangeError('malformed slot id');
  return `${slotId}.${randomBytes(16).toString('hex')}`;
};

export const newReservation = (): string => randomUUID();

/** The slot a lease id points at, or undefined when it is malformed. */
export const slotOfLease = (leaseId: string): string | undefined =>
  LEASE_ID.exec(leaseId)?.[1];
