import { z } from 'zod';

const errorBodySchema = z.object({
  error: z
    .array(
      z.object({
        type: z.string().optional(),
        errors: z
          .array(z.object({ code: z.number().int().optional() }).loose())
          .optional(),
      }),
    )
    .min(1),
});

/**
 * The first upstream error code in an `APIErrorCollection` body, or
 * undefined when the body is not one. Only the number is kept: the
 * upstream's own text is never copied into the broker's messages.
 */
export const upstreamErrorCode = (
  body: unknown,
): { readonly code: number | undefined } | undefined => {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const collection = parsed.data.error.find(
    (entry) => entry.type === 'APIErrorCollection',
  );
  if (!collection) return undefined;
  return { code: collection.errors?.find((e) => e.code !== undefined)?.code };
};
