/**
 * Test-only probe: when a test sets a hook, the package reports each HMAC
 * (with the bytes it covered) and each authentication failure it builds, so
 * a test can prove that two code paths do the same work and the same
 * allocations (the unknown-user path, [MS-NLMP] 3.2.5.1.2) without timing
 * anything. Unset in production: one `undefined` check per event.
 */
export const probe: {
  hmac: ((bytes: number) => void) | undefined
  failure: ((tag: string) => void) | undefined
} = { hmac: undefined, failure: undefined }
