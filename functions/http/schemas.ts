import { z } from 'zod';

/** Limits on what callers may ask for, resolved from the configuration. */
export interface RequestLimits {
  readonly leaseDefaultSeconds: number;
  readonly leaseMaxSeconds: number;
  readonly waitDefaultSeconds: number;
  readonly waitMaxSeconds: number;
}

/** Pool names are map keys and log fields: keep them to a plain alphabet. */
export const poolNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Holder labels appear in logs and status: printable, no control chars. */
const holderSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control characters');

const leaseSecondsSchema = (limits: RequestLimits) =>
  z
    .number()
    .int()
    .min(1)
    .max(limits.leaseMaxSeconds)
    .default(limits.leaseDefaultSeconds);

export const checkOutBodySchema = (limits: RequestLimits) =>
  z
    .object({
      holder: holderSchema.optional(),
      leaseSeconds: leaseSecondsSchema(limits),
      waitSeconds: z
        .number()
        .int()
        .min(0)
        .max(limits.waitMaxSeconds)
        .default(limits.waitDefaultSeconds),
    })
    .strict();

export const renewBodySchema = (limits: RequestLimits) =>
  z
    .object({
      generation: z.number().int().min(1),
      leaseSeconds: leaseSecondsSchema(limits),
    })
    .strict();

const upstreamCodeSchema = z.number().int().min(0).max(2_147_483_647);

const quotaFigure = z.number().int().min(0).max(1_000_000_000).optional();

/** The `RateLimit-*` figures the holder saw on its last upstream answer. */
const quotaSchema = z
  .object({
    limitDaily: quotaFigure,
    availableDaily: quotaFigure,
    limitMonthly: quotaFigure,
    availableMonthly: quotaFigure,
  })
  .strict();

export const checkInBodySchema = z.discriminatedUnion(
  'outcome',
  [
    z
      .object({
        generation: z.number().int().min(1),
        outcome: z.literal('ok'),
        quota: quotaSchema.optional(),
      })
      .strict(),
    z
      .object({
        generation: z.number().int().min(1),
        outcome: z.literal('rejected'),
        upstreamCode: upstreamCodeSchema.optional(),
        quota: quotaSchema.optional(),
      })
      .strict(),
  ],
  { error: "must be 'ok' or 'rejected'" },
);
