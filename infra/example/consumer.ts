/**
 * The smallest consumer: it only shows what `grantLease` gave it. The
 * broker client's middleware replaces this body once it exists.
 */
export const handler = async (): Promise<{
  endpoint: string | undefined;
  pool: string | undefined;
}> => ({
  endpoint: process.env.BROKER_ENDPOINT,
  pool: process.env.BROKER_POOL,
});
