import type { JsonSchema } from 'aws-cdk-lib/aws-apigateway';
import { type ZodType, z } from 'zod';
import type { RouteName } from '../../functions/http/routes';
import {
  checkInBodySchema,
  type RequestLimits,
  renewBodySchema,
} from '../../functions/http/schemas';

/**
 * API Gateway models for the request bodies, derived from the zod schemas
 * the lease API itself validates with, so the two cannot drift apart.
 *
 * Check-out has no model: every field is optional and an empty body is a
 * valid check-out, but API Gateway's handling of an empty body under a
 * model is not documented. Renew and check-in require fields, so an empty
 * body fails both checks alike.
 */
export const bodyModels = (
  limits: RequestLimits,
): Partial<Record<RouteName, JsonSchema>> => ({
  renew: toModel(renewBodySchema(limits)),
  checkIn: toModel(checkInBodySchema),
});

/**
 * Draft 4, the version API Gateway validates. `pattern` is dropped: the
 * zod patterns use Unicode property escapes, which API Gateway's regex
 * engine does not promise to read alike; the function still checks them,
 * so the model only ever lets through a superset of what the function
 * accepts.
 */
const toModel = (schema: ZodType): JsonSchema =>
  withoutPatterns(
    z.toJSONSchema(schema, { target: 'draft-4', io: 'input' }),
  ) as JsonSchema;

const withoutPatterns = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutPatterns);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(
        ([key, child]) => !(key === 'pattern' && typeof child === 'string'),
      )
      .map(([key, child]) => [key, withoutPatterns(child)]),
  );
};
