/**
 * The lease API's routes, in API Gateway's resource syntax. The handler's
 * router, the CDK stack and the local server are all built from this list.
 */
export const ROUTES = [
  { method: 'POST', path: '/v1/pools/{pool}/leases', name: 'checkOut' },
  {
    method: 'POST',
    path: '/v1/pools/{pool}/leases/{leaseId}/renew',
    name: 'renew',
  },
  {
    method: 'DELETE',
    path: '/v1/pools/{pool}/leases/{leaseId}',
    name: 'checkIn',
  },
  { method: 'GET', path: '/v1/pools/{pool}', name: 'status' },
] as const;

export type RouteName = (typeof ROUTES)[number]['name'];
